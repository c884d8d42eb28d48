namespace Polydev.Crypto;

/// <summary>Reads and opens a length-prefixed output stream from a transport, in order, up to its final chunk.</summary>
public sealed class OutputStreamReader : IDisposable
{
    private readonly Stream _stream;
    private readonly OutputStreamDecryptor _decryptor;
    private bool _done;

    /// <summary>Creates a reader.</summary>
    /// <param name="stream">The transport, positioned at a frame boundary.</param>
    /// <param name="outputKey">The job's 32-byte output key.</param>
    /// <param name="nextSequence">The first sequence number expected (0, or where a resumed stream continues).</param>
    public OutputStreamReader(Stream stream, ReadOnlySpan<byte> outputKey, long nextSequence = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _decryptor = new OutputStreamDecryptor(outputKey, nextSequence);
    }

    /// <summary>
    /// The next chunk, or null once the final chunk has been read and the transport has ended with nothing after it.
    /// </summary>
    /// <exception cref="OutputStreamException">Malformed, out of order, not authentic, truncated, or data after the final chunk.</exception>
    public async ValueTask<OutputChunk?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_done)
        {
            return null;
        }

        OutputStreamFrame? frame = await OutputStream.ReadFrameAsync(_stream, cancellationToken).ConfigureAwait(false);
        if (frame is null)
        {
            _decryptor.Complete();
            _done = true;
            return null;
        }

        return _decryptor.Open(frame.Bytes);
    }

    /// <summary>Reads every remaining chunk; the last one returned is final.</summary>
    public async Task<IReadOnlyList<OutputChunk>> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        var chunks = new List<OutputChunk>();
        while (await ReadAsync(cancellationToken).ConfigureAwait(false) is { } chunk)
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    /// <summary>Releases the key (not the transport).</summary>
    public void Dispose() => _decryptor.Dispose();
}
