using System.Security.Cryptography;
using System.Text;

namespace Polydev.Crypto;

/// <summary>
/// HKDF-SHA256 (RFC 5869) with an empty salt and a text label as info: how every Polydev subkey is
/// derived from a key that is already uniformly random (a master key, a recovery code).
/// </summary>
internal static class HkdfSha256
{
    /// <summary>The length of every derived subkey in bytes.</summary>
    public const int KeyLength = 32;

    /// <summary>Derives a 32-byte subkey: HKDF-SHA256(ikm, salt = empty, info = UTF-8(<paramref name="info"/>), L = 32).</summary>
    public static byte[] DeriveKey(ReadOnlySpan<byte> inputKeyMaterial, string info)
    {
        // An empty salt is what RFC 5869 treats as HashLen zero bytes; Web Crypto's HKDF accepts it as-is.
        var key = new byte[KeyLength];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, inputKeyMaterial, key, salt: [], info: Encoding.UTF8.GetBytes(info));
        return key;
    }
}
