using System.Security.Cryptography;
using Polydev.Client;
using Polydev.Client.Keys;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Crypto;

namespace Polydev.Client.Tests.Keys;

/// <summary>
/// Issue 13, finding 15e: the CLI took the account's public key as the server gave it, without checking it belongs to
/// the private key it unwrapped. A server could then hand login sandboxes a key of its own to seal credentials to.
/// </summary>
public sealed class KeyWrappingTests
{
    [Fact]
    public void A_public_key_that_is_not_the_private_keys_is_refused()
    {
        var userId = Guid.NewGuid();
        var userKey = RandomNumberGenerator.GetBytes(32);
        using var pair = UserKeyPair.Generate();
        using var foreign = UserKeyPair.Generate();
        var wrapped = Envelope.Seal(userKey, pair.ExportPkcs8(), new EnvelopeContext(EnvelopeKinds.UserPrivateKey, userId, userId));
        AccountKeysResponse Account(byte[] publicKey) => new(
            userId, "a@example.com", new KdfDto(KdfParameters.Pbkdf2Sha256, KdfParameters.DefaultIterations, new byte[16]),
            new EncryptedValue(EnvelopeKinds.UserKey, userId, []), publicKey, new EncryptedValue(EnvelopeKinds.UserPrivateKey, userId, wrapped),
            false, DateTimeOffset.UnixEpoch);

        using (var keys = KeyWrapping.WithPrivateKey(Account(pair.PublicKey), (byte[])userKey.Clone()))
        {
            Assert.Equal(pair.ExportPkcs8(), keys.PrivateKey);
        }

        var refused = Assert.Throws<CliException>(() => KeyWrapping.WithPrivateKey(Account(foreign.PublicKey), (byte[])userKey.Clone()));
        Assert.Contains("does not match your private key", refused.Message, StringComparison.Ordinal);
        Assert.Throws<CliException>(() => KeyWrapping.WithPrivateKey(Account([]), (byte[])userKey.Clone()));
    }
}
