using System.Security.Cryptography;

namespace Polydev.Client.Keys;

/// <summary>
/// The unlocked keys a verb works with: the user key (which seals every vault record) and the PKCS#8 private key.
/// Zeroed on dispose, so they live in memory no longer than the verb needs them.
/// </summary>
internal sealed class VaultKeys(Guid userId, byte[] userKey, byte[] privateKey) : IDisposable
{
    public Guid UserId { get; } = userId;

    public byte[] UserKey { get; } = userKey;

    public byte[] PrivateKey { get; } = privateKey;

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(UserKey);
        CryptographicOperations.ZeroMemory(PrivateKey);
    }
}
