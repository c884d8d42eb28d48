namespace Polydev.Crypto;

/// <summary>Why an output stream was rejected.</summary>
public enum OutputStreamFailure
{
    /// <summary>A frame's length, version or flags are not valid.</summary>
    Malformed,

    /// <summary>A chunk carried another sequence number than the next expected one: a chunk was dropped, reordered or replayed.</summary>
    OutOfOrder,

    /// <summary>A chunk failed authentication: wrong key, or its bytes (header included) were modified.</summary>
    Authentication,

    /// <summary>The stream ended before its final chunk, or inside a frame.</summary>
    Truncated,

    /// <summary>Something followed the final chunk.</summary>
    AfterFinal,

    /// <summary>A frame came after one that failed: once a stream is found untrustworthy, nothing more of it is opened.</summary>
    AfterFailure,
}

/// <summary>An output stream that must not be trusted. The message never contains key material or plaintext.</summary>
public sealed class OutputStreamException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OutputStreamException(OutputStreamFailure failure, string message)
        : base(message)
    {
        Failure = failure;
    }

    /// <summary>Creates the exception (for serializers; prefer the other constructor).</summary>
    public OutputStreamException()
        : this(OutputStreamFailure.Malformed, "The output stream is not valid.")
    {
    }

    /// <summary>Creates the exception (prefer the constructor with a failure).</summary>
    public OutputStreamException(string message)
        : this(OutputStreamFailure.Malformed, message)
    {
    }

    /// <summary>Creates the exception (prefer the constructor with a failure).</summary>
    public OutputStreamException(string message, Exception innerException)
        : base(message, innerException)
    {
        Failure = OutputStreamFailure.Malformed;
    }

    /// <summary>The kind of failure.</summary>
    public OutputStreamFailure Failure { get; }
}
