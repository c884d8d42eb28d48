using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// HPKE (RFC 9180) in base mode with DHKEM(P-256, HKDF-SHA256) (kem_id 0x0010), HKDF-SHA256 (kdf_id 0x0001) and
/// AES-256-GCM (aead_id 0x0002; AES-128-GCM is available for checking RFC test vectors). Single-shot: each call
/// encrypts one message with sequence number 0, so the AEAD nonce is the base nonce.
/// </summary>
/// <remarks>
/// Built from <see cref="HKDF"/>, <see cref="ECDiffieHellman"/> and <see cref="AesGcm"/>; the browser builds the
/// same from Web Crypto, and both are checked against the RFC 9180 / CFRG test vectors.
/// </remarks>
public static class Hpke
{
    /// <summary>Encrypts one message to a recipient's public key with a fresh ephemeral key.</summary>
    /// <param name="recipientPublicKey">The recipient's 65-byte uncompressed P-256 public key (pkRm).</param>
    /// <param name="info">Application context bound into the key schedule.</param>
    /// <param name="aad">Associated data authenticated with the message.</param>
    /// <param name="plaintext">The message.</param>
    /// <param name="aead">The AEAD; Polydev uses <see cref="HpkeAead.Aes256Gcm"/>.</param>
    /// <returns>enc (the 65-byte ephemeral public key) and the ciphertext (plaintext length + 16-byte tag).</returns>
    /// <exception cref="CryptographicException">The recipient public key is not a valid P-256 point.</exception>
    public static (byte[] Enc, byte[] Ciphertext) SealBase(
        ReadOnlySpan<byte> recipientPublicKey,
        ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> aad,
        ReadOnlySpan<byte> plaintext,
        HpkeAead aead = HpkeAead.Aes256Gcm)
    {
        using ECDiffieHellman ephemeral = ECDiffieHellman.Create(P256.Curve);
        return SealWith(ephemeral, recipientPublicKey, info, aad, plaintext, aead);
    }

    /// <summary>Encrypts with an ephemeral key derived from <paramref name="ephemeralIkm"/>. Deterministic: for test vectors only.</summary>
    internal static (byte[] Enc, byte[] Ciphertext) SealBase(
        ReadOnlySpan<byte> recipientPublicKey,
        ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> aad,
        ReadOnlySpan<byte> plaintext,
        HpkeAead aead,
        ReadOnlySpan<byte> ephemeralIkm)
    {
        (byte[] ephemeralPrivateKey, _) = DhKemP256.DeriveKeyPair(ephemeralIkm);
        try
        {
            using ECDiffieHellman ephemeral = P256.ImportPrivateKey(ephemeralPrivateKey);
            return SealWith(ephemeral, recipientPublicKey, info, aad, plaintext, aead);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ephemeralPrivateKey);
        }
    }

    /// <summary>Decrypts one message sealed to <paramref name="recipient"/>.</summary>
    /// <param name="enc">The 65-byte encapsulated key from <see cref="SealBase(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, HpkeAead)"/>.</param>
    /// <param name="recipient">The recipient's key pair.</param>
    /// <param name="info">The info the sender used.</param>
    /// <param name="aad">The associated data the sender used.</param>
    /// <param name="ciphertext">The ciphertext including its 16-byte tag.</param>
    /// <param name="aead">The AEAD the sender used.</param>
    /// <returns>The plaintext.</returns>
    /// <exception cref="CryptographicException">
    /// enc is not a valid point, the ciphertext is shorter than a tag, or authentication fails
    /// (<see cref="AuthenticationTagMismatchException"/>: wrong recipient, info or aad, or modified bytes).
    /// </exception>
    public static byte[] OpenBase(
        ReadOnlySpan<byte> enc,
        UserKeyPair recipient,
        ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> aad,
        ReadOnlySpan<byte> ciphertext,
        HpkeAead aead = HpkeAead.Aes256Gcm)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        int keyLength = HpkeKeySchedule.GetKeyLength(aead);
        if (ciphertext.Length < HpkeKeySchedule.TagLength)
        {
            throw new CryptographicException($"The HPKE ciphertext is shorter than its {HpkeKeySchedule.TagLength}-byte tag.");
        }

        byte[] sharedSecret = DhKemP256.Decap(enc, recipient);
        (byte[] key, byte[] baseNonce) = HpkeKeySchedule.DeriveBase(sharedSecret, info, aead);
        CryptographicOperations.ZeroMemory(sharedSecret);
        try
        {
            int plaintextLength = ciphertext.Length - HpkeKeySchedule.TagLength;
            var plaintext = new byte[plaintextLength];
            using var aes = new AesGcm(key.AsSpan(0, keyLength), HpkeKeySchedule.TagLength);
            try
            {
                aes.Decrypt(baseNonce, ciphertext[..plaintextLength], ciphertext[plaintextLength..], plaintext, aad);
            }
            catch (AuthenticationTagMismatchException)
            {
                throw new AuthenticationTagMismatchException(
                    "The HPKE ciphertext failed authentication: wrong recipient key, info or aad, or the bytes were modified.");
            }

            return plaintext;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// RFC 9180 §7.1.3 DeriveKeyPair for P-256: derives a key pair deterministically from input keying material
    /// (rejection sampling over "candidate" counters, bitmask 0xFF).
    /// </summary>
    /// <param name="ikm">At least 32 bytes of uniformly random input keying material.</param>
    /// <returns>The 32-byte private scalar and the 65-byte uncompressed public key.</returns>
    /// <exception cref="ArgumentException"><paramref name="ikm"/> is shorter than 32 bytes.</exception>
    public static (byte[] PrivateKey, byte[] PublicKey) DeriveKeyPair(ReadOnlySpan<byte> ikm) => DhKemP256.DeriveKeyPair(ikm);

    private static (byte[] Enc, byte[] Ciphertext) SealWith(
        ECDiffieHellman ephemeral,
        ReadOnlySpan<byte> recipientPublicKey,
        ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> aad,
        ReadOnlySpan<byte> plaintext,
        HpkeAead aead)
    {
        int keyLength = HpkeKeySchedule.GetKeyLength(aead);
        (byte[] sharedSecret, byte[] enc) = DhKemP256.Encap(recipientPublicKey, ephemeral);
        (byte[] key, byte[] baseNonce) = HpkeKeySchedule.DeriveBase(sharedSecret, info, aead);
        CryptographicOperations.ZeroMemory(sharedSecret);
        try
        {
            // Sequence number 0: nonce = base_nonce XOR I2OSP(0, Nn) = base_nonce.
            var ciphertext = new byte[plaintext.Length + HpkeKeySchedule.TagLength];
            using var aes = new AesGcm(key.AsSpan(0, keyLength), HpkeKeySchedule.TagLength);
            aes.Encrypt(baseNonce, plaintext, ciphertext.AsSpan(0, plaintext.Length), ciphertext.AsSpan(plaintext.Length), aad);
            return (enc, ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
