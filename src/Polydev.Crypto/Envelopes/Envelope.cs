using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// Symmetric envelopes: AES-256-GCM ciphertext in a small versioned frame, bound to an <see cref="EnvelopeContext"/>.
/// </summary>
/// <remarks>
/// Layout: <c>version (1) | algorithm (1) | nonce (12) | ciphertext (n) | tag (16)</c>, n = plaintext length.
/// The header is authenticated too (it leads the associated data), so it cannot be rewritten to another
/// version or algorithm. Nonces are random; at 96 bits that is safe for far more envelopes per key than one
/// user will ever write.
/// </remarks>
public static class Envelope
{
    /// <summary>The only envelope format version.</summary>
    public const byte Version1 = 0x01;

    /// <summary>Algorithm byte for AES-256-GCM with a 12-byte nonce and a 16-byte tag.</summary>
    public const byte AlgorithmAes256Gcm = 0x01;

    /// <summary>Length of the header: version and algorithm bytes.</summary>
    public const int HeaderLength = 2;

    /// <summary>Length of the AES-GCM nonce.</summary>
    public const int NonceLength = 12;

    /// <summary>Length of the AES-GCM authentication tag.</summary>
    public const int TagLength = 16;

    /// <summary>Bytes an envelope adds to its plaintext (30); also the length of an envelope around an empty plaintext.</summary>
    public const int Overhead = HeaderLength + NonceLength + TagLength;

    private const int KeyLength = 32;
    private const int NonceOffset = HeaderLength;
    private const int CiphertextOffset = HeaderLength + NonceLength;

    /// <summary>Encrypts <paramref name="plaintext"/> under <paramref name="key"/> with a fresh random nonce.</summary>
    /// <param name="key">A 32-byte AES-256 key (the KEK, the user key, or a recovery wrapping key).</param>
    /// <param name="plaintext">The bytes to protect; may be empty.</param>
    /// <param name="context">The record the envelope will be stored in.</param>
    /// <returns>The envelope, <see cref="Overhead"/> bytes longer than the plaintext.</returns>
    /// <exception cref="ArgumentException">The key is not 32 bytes, or the context's kind is unknown.</exception>
    public static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, EnvelopeContext context)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        RandomNumberGenerator.Fill(nonce);
        return Seal(key, plaintext, context, nonce);
    }

    /// <summary>Encrypts with a caller-chosen nonce. Only for test vectors: reusing a nonce under one key breaks AES-GCM.</summary>
    internal static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, EnvelopeContext context, ReadOnlySpan<byte> nonce)
    {
        EnsureKeyLength(key);
        if (nonce.Length != NonceLength)
        {
            throw new ArgumentException($"The nonce must be {NonceLength} bytes.", nameof(nonce));
        }

        byte[] associatedData = context.GetAssociatedData(Version1, AlgorithmAes256Gcm);

        var envelope = new byte[Overhead + plaintext.Length];
        envelope[0] = Version1;
        envelope[1] = AlgorithmAes256Gcm;
        nonce.CopyTo(envelope.AsSpan(NonceOffset, NonceLength));

        using var aes = new AesGcm(key, TagLength);
        aes.Encrypt(
            nonce,
            plaintext,
            envelope.AsSpan(CiphertextOffset, plaintext.Length),
            envelope.AsSpan(envelope.Length - TagLength),
            associatedData);
        return envelope;
    }

    /// <summary>Authenticates and decrypts an envelope sealed for <paramref name="context"/>.</summary>
    /// <param name="key">The 32-byte key the envelope was sealed under.</param>
    /// <param name="envelope">The envelope bytes.</param>
    /// <param name="context">The record the envelope was read from; it must equal the context it was sealed with.</param>
    /// <returns>The plaintext.</returns>
    /// <exception cref="ArgumentException">The key is not 32 bytes, or the context's kind is unknown.</exception>
    /// <exception cref="EnvelopeException">
    /// The envelope is malformed, has an unsupported version or algorithm, or fails authentication.
    /// </exception>
    public static byte[] Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> envelope, EnvelopeContext context)
    {
        EnsureKeyLength(key);
        byte[] associatedData = context.GetAssociatedData(Version1, AlgorithmAes256Gcm);

        if (!TryValidateShape(envelope, out string? error))
        {
            throw new EnvelopeException(error);
        }

        int ciphertextLength = envelope.Length - Overhead;
        var plaintext = new byte[ciphertextLength];
        using var aes = new AesGcm(key, TagLength);
        try
        {
            aes.Decrypt(
                envelope.Slice(NonceOffset, NonceLength),
                envelope.Slice(CiphertextOffset, ciphertextLength),
                envelope[^TagLength..],
                plaintext,
                associatedData);
        }
        catch (AuthenticationTagMismatchException)
        {
            // AesGcm has already cleared the plaintext buffer.
            throw new EnvelopeException(
                "The envelope failed authentication: wrong key, a different kind, user or record, or the bytes were modified.");
        }

        return plaintext;
    }

    /// <summary>
    /// Checks what can be checked without the key: the length and the header. This is all the server validates,
    /// since it never holds a key.
    /// </summary>
    /// <param name="envelope">The envelope bytes.</param>
    /// <param name="error">When the shape is wrong, a sentence saying what is wrong; otherwise <see langword="null"/>.</param>
    /// <returns><see langword="true"/> if the envelope is long enough and has version 1 and algorithm 1.</returns>
    public static bool TryValidateShape(ReadOnlySpan<byte> envelope, [NotNullWhen(false)] out string? error)
    {
        if (envelope.Length < Overhead)
        {
            error = $"Envelope is {envelope.Length} bytes; the minimum is {Overhead} (header, nonce and tag).";
            return false;
        }

        if (envelope[0] != Version1)
        {
            error = $"Envelope version {envelope[0]} is not supported (expected {Version1}).";
            return false;
        }

        if (envelope[1] != AlgorithmAes256Gcm)
        {
            error = $"Envelope algorithm {envelope[1]} is not supported (expected {AlgorithmAes256Gcm}, AES-256-GCM).";
            return false;
        }

        error = null;
        return true;
    }

    private static void EnsureKeyLength(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException($"The envelope key must be {KeyLength} bytes.", nameof(key));
        }
    }
}
