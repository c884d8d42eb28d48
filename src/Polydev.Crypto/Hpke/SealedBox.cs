using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Polydev.Crypto;

/// <summary>
/// Encryption to a public key, for data that must reach a key holder through the server without the server
/// reading it: a job sealed to a sandbox's ephemeral key, a captured CLI credential sealed to a user.
/// </summary>
/// <remarks>
/// Layout: <c>version (1) | enc (65) | HPKE ciphertext (n + 16)</c>. HPKE base mode with Polydev's suite
/// (DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM), info = UTF-8("polydev/sealed-box/v1|" + purpose),
/// aad = the version byte. The purpose separates uses, so a box sealed for one purpose does not open as another.
/// A sealed box does not identify the sender: anyone holding the public key can make one.
/// </remarks>
public static class SealedBox
{
    /// <summary>The only sealed-box format version.</summary>
    public const byte Version1 = 0x01;

    private const HpkeAead Aead = HpkeAead.Aes256Gcm;
    private const string InfoPrefix = "polydev/sealed-box/v1|";
    private const int EncOffset = 1;
    private const int CiphertextOffset = EncOffset + DhKemP256.EncapsulatedKeyLength;
    private const int MinimumLength = CiphertextOffset + HpkeKeySchedule.TagLength;

    /// <summary>Bytes a sealed box adds to its plaintext: the shortest possible box (an empty plaintext).</summary>
    public const int Overhead = MinimumLength;

    private static ReadOnlySpan<byte> AssociatedData => [Version1];

    /// <summary>Seals <paramref name="plaintext"/> so that only the holder of the matching private key can open it.</summary>
    /// <param name="recipientPublicKey">The recipient's 65-byte uncompressed P-256 public key.</param>
    /// <param name="plaintext">The bytes to seal; may be empty.</param>
    /// <param name="purpose">What the box is for (for example "job"); the opener must pass the same text.</param>
    /// <returns>The sealed box, 82 bytes longer than the plaintext.</returns>
    /// <exception cref="ArgumentException"><paramref name="purpose"/> is null or empty.</exception>
    /// <exception cref="CryptographicException">The public key is not a valid P-256 point.</exception>
    public static byte[] Seal(ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> plaintext, string purpose)
    {
        byte[] info = GetInfo(purpose);
        (byte[] enc, byte[] ciphertext) = Hpke.SealBase(recipientPublicKey, info, AssociatedData, plaintext, Aead);
        return Frame(enc, ciphertext);
    }

    /// <summary>Seals with an ephemeral key derived from <paramref name="ephemeralIkm"/>. Deterministic: for test vectors only.</summary>
    internal static byte[] Seal(ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> plaintext, string purpose, ReadOnlySpan<byte> ephemeralIkm)
    {
        byte[] info = GetInfo(purpose);
        (byte[] enc, byte[] ciphertext) = Hpke.SealBase(recipientPublicKey, info, AssociatedData, plaintext, Aead, ephemeralIkm);
        return Frame(enc, ciphertext);
    }

    /// <summary>Opens a sealed box addressed to <paramref name="recipient"/>.</summary>
    /// <param name="recipient">The recipient's key pair.</param>
    /// <param name="sealedBox">The sealed box.</param>
    /// <param name="purpose">The purpose the box was sealed for.</param>
    /// <returns>The plaintext.</returns>
    /// <exception cref="ArgumentException"><paramref name="purpose"/> is null or empty.</exception>
    /// <exception cref="CryptographicException">
    /// The box is too short, has an unsupported version or an invalid ephemeral key, or fails authentication
    /// (sealed to another key or for another purpose, or modified).
    /// </exception>
    public static byte[] Open(UserKeyPair recipient, ReadOnlySpan<byte> sealedBox, string purpose)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        byte[] info = GetInfo(purpose);

        if (sealedBox.Length < MinimumLength)
        {
            throw new CryptographicException(
                $"Sealed box is {sealedBox.Length} bytes; the minimum is {MinimumLength} (version, ephemeral key and tag).");
        }

        if (sealedBox[0] != Version1)
        {
            throw new CryptographicException($"Sealed box version {sealedBox[0]} is not supported (expected {Version1}).");
        }

        ReadOnlySpan<byte> enc = sealedBox[EncOffset..CiphertextOffset];
        if (!P256.IsValidPublicKey(enc))
        {
            throw new CryptographicException("The sealed box's ephemeral key is not a valid P-256 public key.");
        }

        try
        {
            return Hpke.OpenBase(enc, recipient, info, AssociatedData, sealedBox[CiphertextOffset..], Aead);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new CryptographicException(
                "The sealed box failed authentication: it was sealed to another key or for another purpose, or its bytes were modified.");
        }
    }

    private static byte[] GetInfo(string purpose)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        return Encoding.UTF8.GetBytes(InfoPrefix + purpose);
    }

    private static byte[] Frame(byte[] enc, byte[] ciphertext)
    {
        var sealedBox = new byte[CiphertextOffset + ciphertext.Length];
        var writer = new ByteWriter(sealedBox);
        writer.Write(Version1);
        writer.Write(enc);
        writer.Write(ciphertext);
        Debug.Assert(writer.IsFull);
        return sealedBox;
    }
}
