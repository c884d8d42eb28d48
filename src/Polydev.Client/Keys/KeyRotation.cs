using System.Net;
using System.Security.Cryptography;
using Polydev.Client.Api;
using Polydev.Client.Vault;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Crypto;

namespace Polydev.Client.Keys;

/// <summary>
/// Key rotation (docs/crypto.md): a fresh user key, key pair and recovery code, and every vault record opened under
/// the old user key and re-sealed, bound, under the new one — sent as one request the server stores in one
/// transaction, or not at all. Whoever knew the old user key (an old recovery code's holder, a stolen device) can open
/// nothing stored from then on.
/// </summary>
internal static class KeyRotation
{
    /// <summary>Another device writing meanwhile makes the server refuse (409); the vault is read again this often.</summary>
    private const int Attempts = 3;

    /// <summary>What a rotation leaves: the new keys (the caller disposes them), the new recovery code to show once, and how many records were re-sealed.</summary>
    public sealed record Rotated(VaultKeys Keys, RecoveryCode RecoveryCode, int Records, AccountKeysResponse Account);

    /// <param name="current">The keys as they are now.</param>
    /// <param name="currentAuthKey">Proof of the current password.</param>
    /// <param name="kek">What wraps the new user key: the new password's KEK with <paramref name="newPassword"/>, else the current one's.</param>
    /// <param name="newPassword">A new password changed in the same step, or null.</param>
    /// <exception cref="CliException">A record does not open with the current key, or the vault kept changing.</exception>
    public static async Task<Rotated> RotateAsync(
        PolydevApi api, VaultKeys current, byte[] currentAuthKey, byte[] kek, NewPasswordDto? newPassword, CancellationToken cancellationToken)
    {
        var userId = current.UserId;
        using var keyPair = UserKeyPair.Generate();
        var next = new VaultKeys(userId, UserKey.Generate(), keyPair.ExportPkcs8());
        try
        {
            var recoveryCode = RecoveryCode.Generate();
            var recoveryWrappingKey = recoveryCode.DeriveWrappingKey();
            RecoveryDto recovery;
            try
            {
                recovery = new RecoveryDto(recoveryCode.DeriveAuthKey(), KeyWrapping.WrapForRecovery(recoveryWrappingKey, next.UserKey, userId));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(recoveryWrappingKey);
            }

            for (var attempt = 1; ; attempt++)
            {
                var (chats, messages, credentials) = await ResealVaultAsync(api, new VaultCipher(current), new VaultCipher(next), cancellationToken);
                var request = new RotateKeysRequest(
                    currentAuthKey,
                    KeyWrapping.WrapUserKey(kek, next.UserKey, userId),
                    keyPair.PublicKey,
                    KeyWrapping.WrapPrivateKey(next.UserKey, next.PrivateKey, userId),
                    recovery,
                    chats,
                    messages,
                    credentials,
                    newPassword);
                try
                {
                    var account = await api.RotateKeysAsync(request, cancellationToken);
                    return new Rotated(next, recoveryCode, chats.Count + messages.Count + credentials.Count, account);
                }
                catch (ApiException e) when (e.Status == HttpStatusCode.Conflict && attempt < Attempts)
                {
                    // Another device wrote to the vault meanwhile: nothing was stored; read it again.
                }
            }
        }
        catch
        {
            next.Dispose();
            throw;
        }
    }

    /// <summary>Every chat title, message and credential of the vault, opened with <paramref name="from"/> and sealed with <paramref name="to"/>.</summary>
    private static async Task<(List<ResealedRecord> Chats, List<ResealedRecord> Messages, List<ResealedRecord> Credentials)> ResealVaultAsync(
        PolydevApi api, VaultCipher from, VaultCipher to, CancellationToken cancellationToken)
    {
        var chats = new List<ResealedRecord>();
        var messages = new List<ResealedRecord>();
        foreach (var chat in await api.ListChatsAsync(cancellationToken))
        {
            chats.Add(new ResealedRecord(chat.Id, chat.Revision, to.Seal(EnvelopeKinds.ChatTitle, chat.Id, from.Open(EnvelopeKinds.ChatTitle, chat.Id, chat.Title))));
            var binding = chat.Id.ToString("D");
            foreach (var message in await api.ListMessagesAsync(chat.Id, cancellationToken))
            {
                // A message sealed before messages were bound to their chat is bound now, like every other.
                var (body, _) = from.OpenBound(EnvelopeKinds.ChatMessage, message.Id, message.Body, binding);
                messages.Add(new ResealedRecord(message.Id, message.Revision, to.Seal(EnvelopeKinds.ChatMessage, message.Id, body, binding)));
            }
        }

        var credentials = new List<ResealedRecord>();
        foreach (var credential in await api.ListCredentialsAsync(provider: null, cancellationToken))
        {
            var (secret, _) = from.OpenBound(EnvelopeKinds.CredentialSecret, credential.Id, credential.Secret, credential.Provider);
            credentials.Add(new ResealedRecord(credential.Id, credential.Revision, to.Seal(EnvelopeKinds.CredentialSecret, credential.Id, secret, credential.Provider)));
        }

        return (chats, messages, credentials);
    }
}
