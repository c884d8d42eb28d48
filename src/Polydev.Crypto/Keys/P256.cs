using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// NIST P-256 keys as raw bytes: public keys as 65-byte uncompressed SEC1 points (<c>0x04 || X || Y</c>, Web Crypto's
/// "raw" format), private keys as 32-byte big-endian scalars. Converts between those and <see cref="ECDiffieHellman"/>.
/// </summary>
internal static class P256
{
    public const int PublicKeyLength = 1 + 2 * CoordinateLength;
    public const int PrivateKeyLength = 32;
    public const int CoordinateLength = 32;

    /// <summary>The OID of prime256v1 / secp256r1. Compared instead of the friendly name, which differs by platform.</summary>
    public const string CurveOid = "1.2.840.10045.3.1.7";

    private const byte UncompressedPointPrefix = 0x04;

    /// <summary>The curve's group order n, big-endian. Valid private scalars are 1 ≤ d &lt; n.</summary>
    private static ReadOnlySpan<byte> Order =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
    ];

    public static ECCurve Curve => ECCurve.NamedCurves.nistP256;

    /// <summary>Whether a 32-byte big-endian scalar is a valid private key: not zero and below the group order.</summary>
    public static bool IsValidPrivateKey(ReadOnlySpan<byte> scalar) =>
        scalar.Length == PrivateKeyLength && scalar.ContainsAnyExcept((byte)0) && scalar.SequenceCompareTo(Order) < 0;

    /// <summary>Whether the bytes are an uncompressed point that lies on the curve.</summary>
    public static bool IsValidPublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (!HasUncompressedShape(publicKey))
        {
            return false;
        }

        try
        {
            using ECDiffieHellman _ = ImportPublicKey(publicKey);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Imports a 65-byte uncompressed point. The platform (OpenSSL, CNG, Apple) rejects points off the curve.</summary>
    /// <exception cref="CryptographicException">The bytes are not a valid P-256 public key.</exception>
    public static ECDiffieHellman ImportPublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (!HasUncompressedShape(publicKey))
        {
            throw new CryptographicException(
                $"A P-256 public key must be {PublicKeyLength} bytes: 0x04 followed by the X and Y coordinates.");
        }

        var parameters = new ECParameters
        {
            Curve = Curve,
            Q = new ECPoint
            {
                X = publicKey.Slice(1, CoordinateLength).ToArray(),
                Y = publicKey.Slice(1 + CoordinateLength, CoordinateLength).ToArray(),
            },
        };

        try
        {
            return ECDiffieHellman.Create(parameters);
        }
        catch (CryptographicException)
        {
            throw new CryptographicException("The public key is not a point on the P-256 curve.");
        }
    }

    /// <summary>Imports a private scalar; the platform computes the public point from it.</summary>
    /// <exception cref="CryptographicException">The scalar is not in [1, n).</exception>
    public static ECDiffieHellman ImportPrivateKey(ReadOnlySpan<byte> scalar)
    {
        if (!IsValidPrivateKey(scalar))
        {
            throw new CryptographicException($"A P-256 private key must be a {PrivateKeyLength}-byte scalar between 1 and the group order.");
        }

        byte[] d = scalar.ToArray();
        try
        {
            return ECDiffieHellman.Create(new ECParameters { Curve = Curve, D = d });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }

    /// <summary>Encodes a key's public point as 65 uncompressed bytes.</summary>
    public static byte[] ExportPublicKey(ECDiffieHellman key)
    {
        ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
        var publicKey = new byte[PublicKeyLength];
        publicKey[0] = UncompressedPointPrefix;
        WriteFixedWidth(parameters.Q.X, publicKey.AsSpan(1, CoordinateLength));
        WriteFixedWidth(parameters.Q.Y, publicKey.AsSpan(1 + CoordinateLength, CoordinateLength));
        return publicKey;
    }

    /// <summary>Whether the key is on P-256 (imported PKCS#8 could name any curve).</summary>
    public static bool IsOnCurve(ECDiffieHellman key) =>
        key.ExportParameters(includePrivateParameters: false).Curve.Oid?.Value == CurveOid;

    /// <summary>The raw ECDH shared secret: the X coordinate of d·Q, 32 bytes (RFC 9180's DH() for P-256).</summary>
    public static byte[] DiffieHellman(ECDiffieHellman privateKey, ECDiffieHellman peerPublicKey)
    {
        using ECDiffieHellmanPublicKey peer = peerPublicKey.PublicKey;
        return privateKey.DeriveRawSecretAgreement(peer);
    }

    private static bool HasUncompressedShape(ReadOnlySpan<byte> publicKey) =>
        publicKey.Length == PublicKeyLength && publicKey[0] == UncompressedPointPrefix;

    // Platforms return field elements at the curve's width, but left-pad defensively: a shorter array would
    // otherwise shift the coordinate and silently produce a different key.
    private static void WriteFixedWidth(byte[]? value, Span<byte> destination)
    {
        if (value is null || value.Length > destination.Length)
        {
            throw new CryptographicException("The platform returned a malformed P-256 key.");
        }

        destination[..^value.Length].Clear();
        value.CopyTo(destination[^value.Length..]);
    }
}
