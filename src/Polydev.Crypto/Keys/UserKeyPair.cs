using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// A user's P-256 ECDH key pair, the recipient of <see cref="SealedBox"/>es (for example a CLI credential that a
/// login sandbox captured). The public key is stored in plain on the server; the private key only as PKCS#8
/// inside an envelope of kind <see cref="EnvelopeKinds.UserPrivateKey"/> under the user key.
/// </summary>
public sealed class UserKeyPair : IDisposable
{
    private readonly ECDiffieHellman _key;
    private readonly byte[] _publicKey;
    private bool _disposed;

    private UserKeyPair(ECDiffieHellman key)
    {
        _key = key;
        _publicKey = P256.ExportPublicKey(key);
    }

    /// <summary>Generates a new key pair.</summary>
    public static UserKeyPair Generate() => new(ECDiffieHellman.Create(P256.Curve));

    /// <summary>Imports a private key from PKCS#8 (PrivateKeyInfo, DER), as <see cref="ExportPkcs8"/> or Web Crypto produce.</summary>
    /// <param name="pkcs8">The DER bytes, nothing before or after them.</param>
    /// <exception cref="CryptographicException">The bytes are not exactly one PKCS#8 P-256 private key.</exception>
    public static UserKeyPair ImportPkcs8(ReadOnlySpan<byte> pkcs8)
    {
        var key = ECDiffieHellman.Create();
        try
        {
            int bytesRead;
            try
            {
                key.ImportPkcs8PrivateKey(pkcs8, out bytesRead);
            }
            catch (CryptographicException)
            {
                // The platform's message is dropped: it describes the parse failure of secret bytes.
                throw new CryptographicException("The data is not a PKCS#8 private key.");
            }

            if (bytesRead != pkcs8.Length)
            {
                throw new CryptographicException("The PKCS#8 private key is followed by unexpected bytes.");
            }

            if (!P256.IsOnCurve(key))
            {
                throw new CryptographicException("The PKCS#8 private key is not a P-256 key.");
            }

            return new UserKeyPair(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Imports a raw 32-byte private scalar. For test vectors, whose recipients are given as scalars.</summary>
    internal static UserKeyPair ImportPrivateKey(ReadOnlySpan<byte> scalar) => new(P256.ImportPrivateKey(scalar));

    /// <summary>
    /// The public key as a 65-byte uncompressed SEC1 point (<c>0x04 || X || Y</c>), the "raw" format of Web Crypto.
    /// Each read returns a new copy.
    /// </summary>
    public byte[] PublicKey => (byte[])_publicKey.Clone();

    /// <summary>Exports the private key as PKCS#8 (PrivateKeyInfo, DER). The caller should seal it and zero the array.</summary>
    public byte[] ExportPkcs8()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _key.ExportPkcs8PrivateKey();
    }

    /// <summary>Whether the bytes are a usable recipient public key: 65 bytes, the 0x04 prefix, and a point on P-256.</summary>
    /// <param name="publicKey">The candidate public key.</param>
    public static bool IsValidPublicKey(ReadOnlySpan<byte> publicKey) => P256.IsValidPublicKey(publicKey);

    /// <summary>The raw ECDH shared secret with a peer's public key (the X coordinate, 32 bytes).</summary>
    internal byte[] DiffieHellman(ECDiffieHellman peerPublicKey)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return P256.DiffieHellman(_key, peerPublicKey);
    }

    /// <summary>Releases the private key.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _key.Dispose();
        }
    }
}
