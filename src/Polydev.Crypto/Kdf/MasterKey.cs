using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// The root of a user's key hierarchy: <c>masterKey = PBKDF2-HMAC-SHA256(NFC(password), salt, iterations, 32)</c>,
/// and the two keys split off it. Everything here runs on the client; the master key never leaves it.
/// </summary>
public static class MasterKey
{
    /// <summary>The length of the master key and of each key derived from it, in bytes.</summary>
    public const int Length = 32;

    internal const string AuthKeyInfo = "polydev/auth";
    internal const string KekInfo = "polydev/kek";

    /// <summary>Stretches a password into the 32-byte master key.</summary>
    /// <param name="password">The password as typed; it is normalized to Unicode NFC and encoded as UTF-8.</param>
    /// <param name="parameters">The account's KDF parameters, checked with <see cref="KdfParameters.EnsureAcceptable"/> before any work.</param>
    /// <returns>The master key. The caller owns it and should zero it when done.</returns>
    /// <exception cref="WeakKdfParametersException">The parameters are weaker than this client accepts.</exception>
    /// <exception cref="PlatformNotSupportedException">The password is not ASCII and this process cannot normalize Unicode.</exception>
    public static byte[] Derive(string password, KdfParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.EnsureAcceptable();

        byte[] passwordBytes = PasswordEncoding.ToNfcUtf8(password);
        try
        {
            return Rfc2898DeriveBytes.Pbkdf2(passwordBytes, parameters.Salt, parameters.Iterations, HashAlgorithmName.SHA256, Length);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    /// <summary>
    /// Derives the key the client proves its password with: HKDF-SHA256(masterKey, info "polydev/auth").
    /// It is the only derivative of the password the server receives, and the server keeps only a slow hash of it.
    /// </summary>
    /// <param name="masterKey">The 32-byte master key.</param>
    public static byte[] DeriveAuthKey(ReadOnlySpan<byte> masterKey)
    {
        EnsureMasterKeyLength(masterKey);
        return HkdfSha256.DeriveKey(masterKey, AuthKeyInfo);
    }

    /// <summary>
    /// Derives the key-encryption key that wraps the user key: HKDF-SHA256(masterKey, info "polydev/kek").
    /// It never leaves the client; being a separate HKDF output, knowing the auth key reveals nothing about it.
    /// </summary>
    /// <param name="masterKey">The 32-byte master key.</param>
    public static byte[] DeriveKek(ReadOnlySpan<byte> masterKey)
    {
        EnsureMasterKeyLength(masterKey);
        return HkdfSha256.DeriveKey(masterKey, KekInfo);
    }

    private static void EnsureMasterKeyLength(ReadOnlySpan<byte> masterKey)
    {
        if (masterKey.Length != Length)
        {
            throw new ArgumentException($"The master key must be {Length} bytes.", nameof(masterKey));
        }
    }
}
