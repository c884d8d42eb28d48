using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Polydev.Server.Accounts;

/// <summary>
/// The slow hash the server keeps instead of a client's proof (authKey, recovery auth key):
/// PBKDF2-HMAC-SHA256 with a per-row salt, stored as <c>pbkdf2-sha256$iterations$salt$hash</c>
/// so the cost can be raised later without breaking existing rows.
/// </summary>
public sealed class SecretHasher(IOptions<AccountsOptions> options)
{
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltLength = 16;
    private const int HashLength = 32;

    /// <exception cref="ArgumentException">The secret is empty: nothing a client proves itself with.</exception>
    public string Hash(ReadOnlySpan<byte> secret)
    {
        if (secret.IsEmpty)
        {
            throw new ArgumentException("An empty secret is not stored.", nameof(secret));
        }

        var iterations = options.Value.AuthKeyHashIterations;
        Span<byte> salt = stackalloc byte[SaltLength];
        RandomNumberGenerator.Fill(salt);
        Span<byte> hash = stackalloc byte[HashLength];
        Rfc2898DeriveBytes.Pbkdf2(secret, salt, hash, iterations, HashAlgorithmName.SHA256);
        return $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>
    /// True only for a well-formed stored value (this scheme, a positive cost, a 16-byte salt and a 32-byte hash) that
    /// the secret matches. Anything else — an empty or truncated hash, which would compare equal to an empty
    /// derivation, bad base64, an empty secret — is false, never a match and never an exception.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> secret, string? stored)
    {
        var parts = stored?.Split('$') ?? [];
        if (secret.IsEmpty || parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], out var iterations) || iterations < 1)
        {
            return false;
        }

        Span<byte> salt = stackalloc byte[SaltLength];
        Span<byte> expected = stackalloc byte[HashLength];
        if (!Convert.TryFromBase64String(parts[2], salt, out var saltLength) || saltLength != SaltLength
            || !Convert.TryFromBase64String(parts[3], expected, out var hashLength) || hashLength != HashLength)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[HashLength];
        Rfc2898DeriveBytes.Pbkdf2(secret, salt, actual, iterations, HashAlgorithmName.SHA256);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Spends the same time as a real verification, so a missing account does not answer faster.</summary>
    public void VerifyNothing(ReadOnlySpan<byte> secret)
    {
        Span<byte> sink = stackalloc byte[HashLength];
        Rfc2898DeriveBytes.Pbkdf2(secret, "polydev/no-such-account"u8, sink, options.Value.AuthKeyHashIterations, HashAlgorithmName.SHA256);
    }
}
