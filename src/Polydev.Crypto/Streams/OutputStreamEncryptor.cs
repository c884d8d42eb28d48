using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// Seals an output stream's chunks in order: sequence numbers from 0, the last chunk flagged final. Nonces are
/// derived from the sequence number, so an output key must never seal two streams (the client makes a fresh
/// random key per job).
/// </summary>
public sealed class OutputStreamEncryptor : IDisposable
{
    private readonly AesGcm _aes;
    private long _next;
    private bool _finished;

    /// <summary>Creates an encryptor for a new stream.</summary>
    /// <param name="outputKey">The job's 32-byte output key.</param>
    public OutputStreamEncryptor(ReadOnlySpan<byte> outputKey)
    {
        OutputStream.CheckKey(outputKey);
        _aes = new AesGcm(outputKey, OutputStream.TagLength);
    }

    /// <summary>The sequence number the next chunk gets.</summary>
    public long NextSequence => _next;

    /// <summary>Whether the final chunk has been sealed.</summary>
    public bool IsFinished => _finished;

    /// <summary>Seals the next chunk.</summary>
    /// <param name="plaintext">At most <see cref="OutputStream.MaxPlaintextLength"/> bytes.</param>
    /// <param name="isFinal">Whether this is the last chunk; nothing can be sealed after it.</param>
    /// <returns>The frame, without length prefix.</returns>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, bool isFinal)
    {
        if (_finished)
        {
            throw new InvalidOperationException("The output stream is finished; nothing can follow the final chunk.");
        }

        if (plaintext.Length > OutputStream.MaxPlaintextLength)
        {
            throw new ArgumentException($"A chunk carries at most {OutputStream.MaxPlaintextLength} bytes.", nameof(plaintext));
        }

        if (_next == long.MaxValue)
        {
            throw new InvalidOperationException("The output stream has run out of sequence numbers.");
        }

        byte[] frame = Seal(_aes, _next, isFinal, plaintext);
        _next++;
        _finished = isFinal;
        return frame;
    }

    internal static byte[] Seal(AesGcm aes, long sequence, bool isFinal, ReadOnlySpan<byte> plaintext)
    {
        var frame = new byte[OutputStream.HeaderLength + plaintext.Length + OutputStream.TagLength];
        OutputStream.WriteHeader(frame, sequence, isFinal);
        Span<byte> nonce = stackalloc byte[OutputStream.NonceLength];
        OutputStream.WriteNonce(nonce, sequence, isFinal);
        byte[] aad = OutputStream.AssociatedData(frame);
        aes.Encrypt(
            nonce,
            plaintext,
            frame.AsSpan(OutputStream.HeaderLength, plaintext.Length),
            frame.AsSpan(OutputStream.HeaderLength + plaintext.Length),
            aad);
        return frame;
    }

    /// <summary>Releases the key.</summary>
    public void Dispose() => _aes.Dispose();
}
