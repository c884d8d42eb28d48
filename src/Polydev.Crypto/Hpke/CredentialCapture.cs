using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// A credential a login sandbox captured, on its way to the user through the server: a sealed box to the user's account
/// public key (purpose <see cref="Purpose"/>), preceded by a tag that proves it came from the sandbox the user's client
/// opened. A sealed box alone names no sender (anyone holding the public key, the server included, can make one); the
/// tag is an HMAC-SHA256 over the box under a key derived from the proof key the client put in its sealed opening,
/// which the server never sees. So a server cannot hand the user a credential of its own choosing (an account it
/// controls, to read the user's prompts) without also having impersonated the sandbox from the start.
/// </summary>
/// <remarks>Layout: <c>tag (32) | sealed box</c>. Tag key = HKDF-SHA256(proofKey, info <see cref="TagInfo"/>).</remarks>
public static class CredentialCapture
{
    /// <summary>The sealed box's purpose.</summary>
    public const string Purpose = "login.credential";

    /// <summary>HKDF info of the tag key.</summary>
    public const string TagInfo = "polydev/login/credential-tag";

    /// <summary>Length of the proof key the client puts in its opening.</summary>
    public const int ProofKeyLength = 32;

    private const int TagLength = 32;

    /// <summary>Seals <paramref name="plaintext"/> to <paramref name="recipientPublicKey"/> and tags it under <paramref name="proofKey"/>.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> proofKey, ReadOnlySpan<byte> plaintext)
    {
        byte[] box = SealedBox.Seal(recipientPublicKey, plaintext, Purpose);
        byte[] capture = new byte[TagLength + box.Length];
        Tag(proofKey, box, capture.AsSpan(0, TagLength));
        box.CopyTo(capture.AsSpan(TagLength));
        return capture;
    }

    /// <summary>Checks the tag, then opens the box.</summary>
    /// <exception cref="CryptographicException">The tag is wrong (not from the sandbox this client opened, or changed), or the box does not open.</exception>
    public static byte[] Open(UserKeyPair recipient, ReadOnlySpan<byte> proofKey, ReadOnlySpan<byte> capture)
    {
        if (capture.Length < TagLength + SealedBox.Overhead)
        {
            throw new CryptographicException("A captured credential is too short.");
        }

        ReadOnlySpan<byte> box = capture[TagLength..];
        Span<byte> expected = stackalloc byte[TagLength];
        Tag(proofKey, box, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, capture[..TagLength]))
        {
            throw new CryptographicException("The captured credential's tag is wrong: it did not come from the login sandbox this client opened.");
        }

        return SealedBox.Open(recipient, box, Purpose);
    }

    private static void Tag(ReadOnlySpan<byte> proofKey, ReadOnlySpan<byte> box, Span<byte> destination)
    {
        if (proofKey.Length != ProofKeyLength)
        {
            throw new CryptographicException($"A proof key is {ProofKeyLength} bytes.");
        }

        byte[] key = HkdfSha256.DeriveKey(proofKey, TagInfo);
        try
        {
            HMACSHA256.HashData(key, box, destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
