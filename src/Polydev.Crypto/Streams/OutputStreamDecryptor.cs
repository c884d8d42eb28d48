using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// Opens an output stream's frames and enforces their order: each frame must carry the next sequence number,
/// nothing may follow the final chunk, and <see cref="Complete"/> fails unless the final chunk was seen. So a
/// dropped, reordered, replayed or truncated stream is detected, never silently accepted. After one frame fails, every
/// later one does too: a caller that catches the first failure and carries on cannot be fed the rest of a stream
/// whose order can no longer be vouched for.
/// </summary>
public sealed class OutputStreamDecryptor : IDisposable
{
    private readonly AesGcm _aes;
    private long _next;
    private bool _finished;
    private OutputStreamFailure? _failed;

    /// <summary>Creates a decryptor.</summary>
    /// <param name="outputKey">The job's 32-byte output key.</param>
    /// <param name="nextSequence">The first sequence number expected: 0, or where a resumed stream continues.</param>
    public OutputStreamDecryptor(ReadOnlySpan<byte> outputKey, long nextSequence = 0)
    {
        OutputStream.CheckKey(outputKey);
        ArgumentOutOfRangeException.ThrowIfNegative(nextSequence);
        _aes = new AesGcm(outputKey, OutputStream.TagLength);
        _next = nextSequence;
    }

    /// <summary>The sequence number the next frame must carry.</summary>
    public long NextSequence => _next;

    /// <summary>Whether the final chunk has been opened.</summary>
    public bool IsFinished => _finished;

    /// <summary>Opens the next frame.</summary>
    /// <param name="frame">One frame, without its length prefix.</param>
    /// <exception cref="OutputStreamException">The frame is malformed, out of order, after the final chunk, or not authentic.</exception>
    public OutputChunk Open(ReadOnlySpan<byte> frame)
    {
        try
        {
            return OpenNext(frame);
        }
        catch (OutputStreamException e) when (e.Failure != OutputStreamFailure.AfterFailure)
        {
            _failed ??= e.Failure;
            throw;
        }
    }

    private OutputChunk OpenNext(ReadOnlySpan<byte> frame)
    {
        if (_failed is { } failure)
        {
            throw new OutputStreamException(
                OutputStreamFailure.AfterFailure, $"An earlier output chunk failed ({failure}); nothing more of this stream is opened.");
        }

        if (_finished)
        {
            throw new OutputStreamException(OutputStreamFailure.AfterFinal, "A chunk followed the output stream's final chunk.");
        }

        if (!OutputStream.TryReadHeader(frame, out long sequence, out bool isFinal, out string? error))
        {
            throw new OutputStreamException(OutputStreamFailure.Malformed, error!);
        }

        if (sequence != _next)
        {
            throw new OutputStreamException(
                OutputStreamFailure.OutOfOrder,
                $"Output chunk {sequence} arrived where chunk {_next} was expected: a chunk was dropped, reordered or replayed.");
        }

        int length = frame.Length - OutputStream.MinFrameLength;
        var plaintext = new byte[length];
        Span<byte> nonce = stackalloc byte[OutputStream.NonceLength];
        OutputStream.WriteNonce(nonce, sequence, isFinal);
        try
        {
            _aes.Decrypt(
                nonce,
                frame.Slice(OutputStream.HeaderLength, length),
                frame.Slice(OutputStream.HeaderLength + length, OutputStream.TagLength),
                plaintext,
                OutputStream.AssociatedData(frame));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new OutputStreamException(
                OutputStreamFailure.Authentication,
                $"Output chunk {sequence} failed authentication: another key, or its bytes were modified.");
        }

        _next++;
        _finished = isFinal;
        return new OutputChunk(sequence, isFinal, plaintext);
    }

    /// <summary>Call when the transport ends: fails unless the final chunk was opened.</summary>
    /// <exception cref="OutputStreamException">The stream was truncated.</exception>
    public void Complete()
    {
        if (!_finished)
        {
            throw new OutputStreamException(
                OutputStreamFailure.Truncated,
                $"The output stream ended after {_next} chunks without its final chunk: it was truncated.");
        }
    }

    /// <summary>Releases the key.</summary>
    public void Dispose() => _aes.Dispose();
}
