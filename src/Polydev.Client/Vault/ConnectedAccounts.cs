using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Polydev.Client.Api;
using Polydev.Client.Keys;
using Polydev.Contracts.Login;
using Polydev.Contracts.Vault;
using Polydev.Crypto;

namespace Polydev.Client.Vault;

/// <summary>
/// OAuth credentials in the vault: a CLI's credential file captured by a login session, or rewritten by a run that
/// refreshed its token. Opens what the sandbox sealed to the user, checks it is for the expected provider, and stores
/// it under the user key (docs/vault.md, "Provider credential"). The server only ever relays and stores ciphertext.
/// </summary>
internal sealed class ConnectedAccounts(PolydevApi api, VaultKeys keys)
{
    private readonly VaultCipher _cipher = new(keys);

    /// <summary>The user's account public key (from the private key this client holds, not from the server).</summary>
    public byte[] PublicKey
    {
        get
        {
            using var keyPair = UserKeyPair.ImportPkcs8(keys.PrivateKey);
            return keyPair.PublicKey;
        }
    }

    /// <summary>Opens a login session's capture: its tag must verify under <paramref name="proofKey"/>, then the box under the user's private key.</summary>
    /// <exception cref="CliException">The capture is not from the sandbox this client opened, or not for <paramref name="provider"/>.</exception>
    public LoginCapturedCredential OpenCapture(string sealedCapture, byte[] proofKey, string provider) =>
        Open(provider, keyPair => CredentialCapture.Open(keyPair, proofKey, Convert.FromBase64String(sealedCapture)),
            "the captured credential did not come from the login sandbox this terminal opened (or was changed on the way); nothing was stored");

    /// <summary>Opens a run's write-back (<c>credential</c> event), sealed to the user with purpose <c>credential.refresh</c>.</summary>
    public LoginCapturedCredential OpenRefresh(string sealedBox, string provider) =>
        Open(provider, keyPair => SealedBox.Open(keyPair, Convert.FromBase64String(sealedBox), Polydev.Contracts.Jobs.CredentialEvent.SealedPurpose),
            "the run's refreshed credential does not open with your key");

    /// <summary>Stores a newly connected account as a new credential; returns its id and the plaintext stored.</summary>
    public async Task<(Guid Id, CredentialSecret Secret)> StoreAsync(LoginCapturedCredential captured, string? label, CancellationToken cancellationToken)
    {
        var secret = ToSecret(captured, label is { Length: > 0 } ? label : captured.Account ?? captured.Provider);
        var id = Guid.CreateVersion7();
        await api.CreateCredentialAsync(new CreateCredentialRequest(id, captured.Provider, secret.Seal(_cipher, id, captured.Provider)), cancellationToken);
        return (id, secret);
    }

    /// <summary>
    /// Replaces credential <paramref name="id"/> with a run's refreshed file. The stored revision guards the write: when
    /// another run stored first (409), the newer expiry wins — this one is written only if it expires later than what is
    /// stored now. Returns whether it was written.
    /// </summary>
    public async Task<bool> ReplaceAsync(Guid id, LoginCapturedCredential refreshed, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var stored = await api.GetCredentialAsync(id, cancellationToken);
            var current = CredentialSecret.Open(_cipher, id, refreshed.Provider, stored.Secret).Secret;
            if (current.Type != CredentialSecret.OAuth)
            {
                return false;
            }

            // Another run may have stored a newer refresh already: the newer expiry wins.
            if (current.Secret == refreshed.File || (current.ExpiresAt is { } storedExpiry && refreshed.ExpiresAt is { } ours && storedExpiry >= ours))
            {
                return false;
            }

            var replacement = ToSecret(refreshed, current.Label) with { BaseUrl = current.BaseUrl, CaBundle = current.CaBundle };
            try
            {
                await api.UpdateCredentialAsync(id, new UpdateCredentialRequest(replacement.Seal(_cipher, id, refreshed.Provider), stored.Revision), cancellationToken);
                return true;
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.Conflict)
            {
                // Another run wrote between our read and our write: read again and compare expiries.
            }
        }

        return false;
    }

    private LoginCapturedCredential Open(string provider, Func<UserKeyPair, byte[]> open, string refusal)
    {
        byte[] plaintext;
        try
        {
            using var keyPair = UserKeyPair.ImportPkcs8(keys.PrivateKey);
            plaintext = open(keyPair);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            throw new CliException(refusal + ".");
        }

        try
        {
            var captured = JsonSerializer.Deserialize(plaintext, LoginJsonContext.Default.LoginCapturedCredential);
            if (captured is null || captured.Version != LoginCapturedCredential.CurrentVersion || captured.File.Length == 0)
            {
                throw new CliException("the captured credential is not in a form this client reads; nothing was stored.");
            }

            if (captured.Provider != provider)
            {
                throw new CliException($"the captured credential is {captured.Provider}'s, not {provider}'s; nothing was stored.");
            }

            return captured;
        }
        catch (JsonException)
        {
            throw new CliException("the captured credential is not in a form this client reads; nothing was stored.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static CredentialSecret ToSecret(LoginCapturedCredential captured, string label) =>
        new(label, CredentialSecret.OAuth, captured.File)
        {
            Account = captured.Account,
            ExpiresAt = captured.ExpiresAt,
            Refreshable = captured.Refreshable,
        };
}
