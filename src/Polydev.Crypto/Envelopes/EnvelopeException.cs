using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// Thrown when an envelope cannot be opened: it is malformed, uses an unsupported version or algorithm, or fails
/// authentication (wrong key, wrong context, or modified bytes).
/// </summary>
public sealed class EnvelopeException : CryptographicException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public EnvelopeException()
        : base("The envelope could not be opened.")
    {
    }

    /// <summary>Creates the exception with a message describing the problem.</summary>
    /// <param name="message">A description that names no secret.</param>
    public EnvelopeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">A description that names no secret.</param>
    /// <param name="innerException">The underlying failure.</param>
    public EnvelopeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
