namespace Polydev.Crypto;

/// <summary>Seals chunks and writes them, length-prefixed and flushed one by one, to a transport.</summary>
public sealed class OutputStreamWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly OutputStreamEncryptor _encryptor;

    /// <summary>Creates a writer for a new stream.</summary>
    /// <param name="stream">The transport.</param>
    /// <param name="outputKey">The job's 32-byte output key.</param>
    public OutputStreamWriter(Stream stream, ReadOnlySpan<byte> outputKey)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _encryptor = new OutputStreamEncryptor(outputKey);
    }

    /// <summary>The sequence number the next chunk gets.</summary>
    public long NextSequence => _encryptor.NextSequence;

    /// <summary>Whether the final chunk has been written.</summary>
    public bool IsFinished => _encryptor.IsFinished;

    /// <summary>Seals and writes one chunk, then flushes.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> plaintext, bool isFinal = false, CancellationToken cancellationToken = default)
    {
        byte[] frame = _encryptor.Seal(plaintext.Span, isFinal);
        await OutputStream.WriteFrameAsync(_stream, frame, cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases the key (not the transport).</summary>
    public void Dispose() => _encryptor.Dispose();
}
