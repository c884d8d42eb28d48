using System.Security.Cryptography;
using Polydev.Client.Keys;
using Polydev.Crypto;

namespace Polydev.Client.State;

/// <summary>
/// Seals the unlocked keys into the state file under the session key, and opens them again.
/// </summary>
/// <remarks>
/// Each key uses the envelope kind it has on the server (<c>user.key</c>, <c>user.private-key</c>) and the user's id,
/// but a fresh random cache id as record id. The server's copies use the user id as record id, so a cached envelope
/// and a server envelope can never stand in for each other, and an envelope left from an earlier unlock cannot be
/// spliced into a newer cache. No new envelope kind is needed, so nothing changes in Polydev.Crypto.
/// </remarks>
internal static class KeyCacheCipher
{
    public static KeyCache Seal(ReadOnlySpan<byte> sessionKey, VaultKeys keys)
    {
        var id = Guid.NewGuid();
        return new KeyCache(
            id,
            Envelope.Seal(sessionKey, keys.UserKey, new EnvelopeContext(EnvelopeKinds.UserKey, keys.UserId, id)),
            Envelope.Seal(sessionKey, keys.PrivateKey, new EnvelopeContext(EnvelopeKinds.UserPrivateKey, keys.UserId, id)));
    }

    /// <summary>The cached keys, or null when <paramref name="sessionKey"/> is not the key they were sealed under.</summary>
    public static VaultKeys? TryOpen(ReadOnlySpan<byte> sessionKey, KeyCache cache, Guid userId)
    {
        byte[]? userKey = null;
        try
        {
            userKey = Envelope.Open(sessionKey, cache.UserKey, new EnvelopeContext(EnvelopeKinds.UserKey, userId, cache.Id));
            var privateKey = Envelope.Open(sessionKey, cache.PrivateKey, new EnvelopeContext(EnvelopeKinds.UserPrivateKey, userId, cache.Id));
            return new VaultKeys(userId, userKey, privateKey);
        }
        catch (CryptographicException)
        {
            if (userKey is not null)
            {
                CryptographicOperations.ZeroMemory(userKey);
            }

            return null;
        }
    }
}
