namespace Polydev.Crypto;

/// <summary>The AEADs <see cref="Hpke"/> supports, with their RFC 9180 identifiers.</summary>
public enum HpkeAead : ushort
{
    /// <summary>AES-128-GCM (aead_id 0x0001). Only here to check against RFC 9180 Appendix A.3.1.</summary>
    Aes128Gcm = 0x0001,

    /// <summary>AES-256-GCM (aead_id 0x0002), the AEAD of Polydev's suite.</summary>
    Aes256Gcm = 0x0002,
}
