using System.Security.Cryptography;
using Polydev.Client.Api;
using Polydev.Client.Keys;
using Polydev.Client.State;
using Polydev.Client.Terminal;
using Polydev.Contracts.Accounts;
using Polydev.Crypto;

namespace Polydev.Client.Verbs;

/// <summary>
/// The session model (docs/cli.md): unlocking seals the keys into the state file under a fresh random session key
/// and hands that key to the shell as <c>POLYDEV_SESSION</c>, as Bitwarden's CLI does with <c>BW_SESSION</c>. A copied
/// state file alone opens nothing.
/// </summary>
internal static class Session
{
    /// <summary>Caches <paramref name="keys"/> for <paramref name="state"/> and returns the new POLYDEV_SESSION value.</summary>
    public static string Start(VerbContext context, LocalState state, VaultKeys keys)
    {
        var sessionKey = SessionKey.Generate();
        try
        {
            context.SaveState(state with { KeyCache = KeyCacheCipher.Seal(sessionKey, keys) });
            return SessionKey.Encode(sessionKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sessionKey);
        }
    }

    /// <summary>
    /// Signs in to <paramref name="server"/> with an auth key already derived. The state it returns holds no key cache
    /// and is not saved yet; the caller opens the keys from the login's account.
    /// </summary>
    public static async Task<(LoginResponse Login, LocalState State)> LoginAsync(VerbContext context, PolydevApi api, string server, string email, byte[] authKey)
    {
        var login = await api.LoginAsync(new LoginRequest(email, authKey, DeviceName), context.Cancellation);
        return (login, new LocalState(server, login.Account.Email, login.Account.UserId, login.Token, login.SessionId, KeyCache: null));
    }

    /// <summary>The end of a verb that signs in: the account and the new session as the result, the note for people, the export line.</summary>
    public static int ReportSignedIn(VerbContext context, LocalState state, string session, string note)
    {
        context.Output.Result(new { email = state.Email, userId = state.UserId, server = state.Server, session });
        if (!context.Output.Json)
        {
            Output.Note(note);
        }

        PrintExport(context, session);
        return ExitCodes.Success;
    }

    /// <summary>Human mode: the export line alone on stdout, so <c>eval "$(polydev unlock)"</c> works; the advice on stderr.</summary>
    public static void PrintExport(VerbContext context, string session)
    {
        context.Output.Line($"export {SessionKey.Variable}={session}");
        if (!context.Output.Json)
        {
            Output.Note($"Your vault is unlocked. Set {SessionKey.Variable} in your shell to use it (or run: eval \"$(polydev unlock)\").");
        }
    }

    /// <summary>
    /// The keys for a verb that reads or writes the vault: from the key cache with <c>POLYDEV_SESSION</c>, else derived
    /// from <c>POLYDEV_PASSWORD</c> for this run only, else an error that says to unlock.
    /// </summary>
    public static async Task<VaultKeys> KeysAsync(VerbContext context, PolydevApi api, LocalState state)
    {
        if (state.KeyCache is { } cache && SessionKey.FromEnvironment() is { } sessionKey)
        {
            try
            {
                if (KeyCacheCipher.TryOpen(sessionKey, cache, state.UserId) is { } cached)
                {
                    return cached;
                }
            }
            finally
            {
                CryptographicOperations.ZeroMemory(sessionKey);
            }
        }

        if (Secrets.FromEnvironment(Secrets.PasswordVariable) is { } password)
        {
            return await UnlockWithPasswordAsync(context, api, password);
        }

        throw new CliException(
            state.KeyCache is null ? "your vault is locked; run `polydev unlock` and set POLYDEV_SESSION as it says."
            : SessionKey.IsSet ? "POLYDEV_SESSION does not open this machine's key cache (it is from an older unlock or another machine); run `polydev unlock`."
            : "POLYDEV_SESSION is not set; run `polydev unlock` and set it as it says (or: eval \"$(polydev unlock)\").");
    }

    /// <summary>Fetches the wrapped keys and opens them with <paramref name="password"/>.</summary>
    public static async Task<VaultKeys> UnlockWithPasswordAsync(VerbContext context, PolydevApi api, string password)
    {
        var account = await api.GetAccountAsync(context.Cancellation);
        using var keys = await PasswordKeys.DeriveAsync(password, PasswordKeys.ToParameters(account.Kdf));
        return KeyWrapping.Unlock(account, keys.Kek);
    }

    /// <summary>
    /// The account, with its keys opened by the password asked for now (or <c>POLYDEV_PASSWORD</c>) once the server's
    /// KDF parameters passed the downgrade check. The password's keys come too, for what needs proof of it; the
    /// caller disposes both.
    /// </summary>
    public static async Task<(AccountKeysResponse Account, PasswordKeys PasswordKeys, VaultKeys Keys)> UnlockByPasswordAsync(VerbContext context, PolydevApi api)
    {
        var account = await api.GetAccountAsync(context.Cancellation);
        var parameters = AcceptableParameters(account.Kdf);
        var passwordKeys = await PasswordKeys.DeriveAsync(Secrets.Password(), parameters);
        try
        {
            return (account, passwordKeys, KeyWrapping.Unlock(account, passwordKeys.Kek));
        }
        catch
        {
            passwordKeys.Dispose();
            throw;
        }
    }

    /// <summary>The device name a login session is listed under in the account's sessions.</summary>
    public static string DeviceName
    {
        get
        {
            var name = $"polydev CLI on {Environment.MachineName}";
            return name.Length <= 100 ? name : name[..100];
        }
    }

    /// <summary>Checks a server's KDF parameters before the user is asked for a password they would be used with.</summary>
    public static KdfParameters AcceptableParameters(Contracts.KdfDto kdf)
    {
        var parameters = PasswordKeys.ToParameters(kdf);
        PasswordKeys.EnsureAcceptable(parameters);
        return parameters;
    }
}
