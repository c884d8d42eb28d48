using System.Diagnostics;
using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>RFC 9180 §5.1 KeySchedule for mode_base (no PSK), yielding the AEAD key and base nonce.</summary>
internal static class HpkeKeySchedule
{
    public const int NonceLength = 12;
    public const int TagLength = 16;

    private const byte ModeBase = 0x00;
    private const int SuiteIdLength = 10;

    /// <summary>Nk for each supported AEAD.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The AEAD is not one of <see cref="HpkeAead"/>.</exception>
    public static int GetKeyLength(HpkeAead aead) => aead switch
    {
        HpkeAead.Aes128Gcm => 16,
        HpkeAead.Aes256Gcm => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(aead), aead, "Unsupported HPKE AEAD."),
    };

    /// <summary>Runs the base-mode key schedule for DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 / <paramref name="aead"/>.</summary>
    public static (byte[] Key, byte[] BaseNonce) DeriveBase(ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> info, HpkeAead aead)
    {
        int keyLength = GetKeyLength(aead);

        // suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)
        Span<byte> suiteId = stackalloc byte[SuiteIdLength];
        var suiteWriter = new ByteWriter(suiteId);
        suiteWriter.Write("HPKE"u8);
        suiteWriter.WriteUInt16BigEndian(DhKemP256.KemId);
        suiteWriter.WriteUInt16BigEndian(LabeledHkdf.KdfId);
        suiteWriter.WriteUInt16BigEndian((ushort)aead);
        Debug.Assert(suiteWriter.IsFull);

        // Base mode: psk and psk_id are empty.
        byte[] pskIdHash = LabeledHkdf.Extract(suiteId, salt: [], "psk_id_hash"u8, ikm: []);
        byte[] infoHash = LabeledHkdf.Extract(suiteId, salt: [], "info_hash"u8, info);

        // key_schedule_context = mode || psk_id_hash || info_hash
        Span<byte> keyScheduleContext = stackalloc byte[1 + pskIdHash.Length + infoHash.Length];
        var contextWriter = new ByteWriter(keyScheduleContext);
        contextWriter.Write(ModeBase);
        contextWriter.Write(pskIdHash);
        contextWriter.Write(infoHash);

        byte[] secret = LabeledHkdf.Extract(suiteId, salt: sharedSecret, "secret"u8, ikm: []);
        try
        {
            byte[] key = LabeledHkdf.Expand(suiteId, secret, "key"u8, keyScheduleContext, keyLength);
            byte[] baseNonce = LabeledHkdf.Expand(suiteId, secret, "base_nonce"u8, keyScheduleContext, NonceLength);
            return (key, baseNonce);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}
