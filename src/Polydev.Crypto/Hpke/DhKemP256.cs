using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>RFC 9180 §4.1 DHKEM(P-256, HKDF-SHA256), kem_id 0x0010.</summary>
internal static class DhKemP256
{
    public const ushort KemId = 0x0010;

    /// <summary>Nsecret: the length of the KEM shared secret.</summary>
    public const int SharedSecretLength = 32;

    /// <summary>Nenc: the encapsulated key is the ephemeral public key, uncompressed.</summary>
    public const int EncapsulatedKeyLength = P256.PublicKeyLength;

    // RFC 9180 §7.1.3: for P-256 every bit of the candidate is kept, and 256 candidates are tried at most.
    private const byte CandidateBitmask = 0xFF;
    private const int MaximumCandidates = 256;

    /// <summary>suite_id = "KEM" || I2OSP(kem_id, 2).</summary>
    private static ReadOnlySpan<byte> SuiteId => [(byte)'K', (byte)'E', (byte)'M', KemId >> 8, KemId & 0xFF];

    /// <summary>RFC 9180 §7.1.3 DeriveKeyPair: rejection-samples a scalar from <paramref name="ikm"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="ikm"/> is shorter than Nsk (32) bytes.</exception>
    public static (byte[] PrivateKey, byte[] PublicKey) DeriveKeyPair(ReadOnlySpan<byte> ikm)
    {
        if (ikm.Length < P256.PrivateKeyLength)
        {
            throw new ArgumentException($"The input keying material must be at least {P256.PrivateKeyLength} bytes.", nameof(ikm));
        }

        byte[] dkpPrk = LabeledHkdf.Extract(SuiteId, salt: [], "dkp_prk"u8, ikm);
        try
        {
            Span<byte> counter = stackalloc byte[1];
            for (int candidateIndex = 0; candidateIndex < MaximumCandidates; candidateIndex++)
            {
                counter[0] = (byte)candidateIndex;
                byte[] scalar = LabeledHkdf.Expand(SuiteId, dkpPrk, "candidate"u8, counter, P256.PrivateKeyLength);
                scalar[0] &= CandidateBitmask;
                if (P256.IsValidPrivateKey(scalar))
                {
                    using ECDiffieHellman key = P256.ImportPrivateKey(scalar);
                    return (scalar, P256.ExportPublicKey(key));
                }

                CryptographicOperations.ZeroMemory(scalar);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dkpPrk);
        }

        // Each candidate fails with probability below 2^-32, so this is unreachable in practice.
        throw new CryptographicException("DeriveKeyPair found no valid P-256 scalar.");
    }

    /// <summary>Encap(pkR) with a given ephemeral key: returns the shared secret and enc (the ephemeral public key).</summary>
    /// <exception cref="CryptographicException">The recipient public key is not a valid P-256 point.</exception>
    public static (byte[] SharedSecret, byte[] Enc) Encap(ReadOnlySpan<byte> recipientPublicKey, ECDiffieHellman ephemeral)
    {
        using ECDiffieHellman recipient = P256.ImportPublicKey(recipientPublicKey);
        byte[] dh = P256.DiffieHellman(ephemeral, recipient);
        byte[] enc = P256.ExportPublicKey(ephemeral);
        return (ExtractAndExpand(dh, enc, recipientPublicKey), enc);
    }

    /// <summary>Decap(enc, skR): recovers the shared secret.</summary>
    /// <exception cref="CryptographicException"><paramref name="enc"/> is not a valid P-256 point.</exception>
    public static byte[] Decap(ReadOnlySpan<byte> enc, UserKeyPair recipient)
    {
        ECDiffieHellman ephemeral;
        try
        {
            ephemeral = P256.ImportPublicKey(enc);
        }
        catch (CryptographicException)
        {
            throw new CryptographicException("The HPKE encapsulated key is not a valid P-256 public key.");
        }

        using (ephemeral)
        {
            byte[] dh = recipient.DiffieHellman(ephemeral);
            return ExtractAndExpand(dh, enc, recipient.PublicKey);
        }
    }

    /// <summary>
    /// <c>eae_prk = LabeledExtract("", "eae_prk", dh)</c>;
    /// <c>shared_secret = LabeledExpand(eae_prk, "shared_secret", enc || pkRm, Nsecret)</c>. Zeroes <paramref name="dh"/>.
    /// </summary>
    private static byte[] ExtractAndExpand(byte[] dh, ReadOnlySpan<byte> enc, ReadOnlySpan<byte> recipientPublicKey)
    {
        Span<byte> kemContext = stackalloc byte[EncapsulatedKeyLength + P256.PublicKeyLength];
        var writer = new ByteWriter(kemContext);
        writer.Write(enc);
        writer.Write(recipientPublicKey);

        byte[] eaePrk = LabeledHkdf.Extract(SuiteId, salt: [], "eae_prk"u8, dh);
        try
        {
            return LabeledHkdf.Expand(SuiteId, eaePrk, "shared_secret"u8, kemContext, SharedSecretLength);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dh);
            CryptographicOperations.ZeroMemory(eaePrk);
        }
    }
}
