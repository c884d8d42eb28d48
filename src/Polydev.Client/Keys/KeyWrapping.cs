using System.Security.Cryptography;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Crypto;

namespace Polydev.Client.Keys;

/// <summary>Wrapping and unwrapping of the user key and the private key, in the envelopes docs/crypto.md defines.</summary>
internal static class KeyWrapping
{
    /// <summary>The user key under a KEK (kind <c>user.key</c>, record id = user id), as the server stores it.</summary>
    public static EncryptedValue WrapUserKey(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> userKey, Guid userId) =>
        new(EnvelopeKinds.UserKey, userId, Envelope.Seal(kek, userKey, new EnvelopeContext(EnvelopeKinds.UserKey, userId, userId)));

    /// <summary>The user key under a recovery code's wrapping key (kind <c>user.recovery-key</c>, record id = user id).</summary>
    public static EncryptedValue WrapForRecovery(ReadOnlySpan<byte> wrappingKey, ReadOnlySpan<byte> userKey, Guid userId) =>
        new(EnvelopeKinds.UserRecoveryKey, userId, Envelope.Seal(wrappingKey, userKey, new EnvelopeContext(EnvelopeKinds.UserRecoveryKey, userId, userId)));

    /// <summary>The PKCS#8 private key under the user key (kind <c>user.private-key</c>, record id = user id).</summary>
    public static EncryptedValue WrapPrivateKey(ReadOnlySpan<byte> userKey, ReadOnlySpan<byte> pkcs8, Guid userId) =>
        new(EnvelopeKinds.UserPrivateKey, userId, Envelope.Seal(userKey, pkcs8, new EnvelopeContext(EnvelopeKinds.UserPrivateKey, userId, userId)));

    /// <summary>
    /// Opens the account's keys with the password's KEK. AES-GCM authenticates, so a failure means a wrong password
    /// (or a server that sent someone else's envelope), never silently wrong keys.
    /// </summary>
    public static VaultKeys Unlock(AccountKeysResponse account, ReadOnlySpan<byte> kek)
    {
        byte[] userKey;
        try
        {
            userKey = Envelope.Open(kek, account.UserKey.Envelope, new EnvelopeContext(EnvelopeKinds.UserKey, account.UserId, account.UserId));
        }
        catch (CryptographicException)
        {
            throw new CliException("the password is wrong: it does not open your account's key.");
        }

        return WithPrivateKey(account, userKey);
    }

    /// <summary>Opens the private key with an already unwrapped user key; takes ownership of <paramref name="userKey"/>.</summary>
    public static VaultKeys WithPrivateKey(AccountKeysResponse account, byte[] userKey)
    {
        try
        {
            var privateKey = Envelope.Open(userKey, account.PrivateKey.Envelope, new EnvelopeContext(EnvelopeKinds.UserPrivateKey, account.UserId, account.UserId));
            // The stored public key is what login sandboxes seal captured credentials to: it must be this private key's,
            // or a server could hand out a key of its own and read what is sealed to it (the web client checks the same).
            using (var pair = UserKeyPair.ImportPkcs8(privateKey))
            {
                if (!CryptographicOperations.FixedTimeEquals(pair.PublicKey, account.PublicKey ?? []))
                {
                    CryptographicOperations.ZeroMemory(privateKey);
                    CryptographicOperations.ZeroMemory(userKey);
                    throw new CliException("your account's public key does not match your private key: the server sent a foreign key.");
                }
            }

            return new VaultKeys(account.UserId, userKey, privateKey);
        }
        catch (CryptographicException)
        {
            CryptographicOperations.ZeroMemory(userKey);
            throw new CliException("your private key does not open with your user key; the server sent a damaged or foreign envelope.");
        }
    }
}
