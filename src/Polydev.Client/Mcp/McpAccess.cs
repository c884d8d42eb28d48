using System.Security.Cryptography;
using Polydev.Client.Api;
using Polydev.Client.Keys;
using Polydev.Client.State;
using Polydev.Client.Terminal;

namespace Polydev.Client.Mcp;

/// <summary>
/// How <c>polydev mcp</c> gets at the vault without a prompt (stdio belongs to the protocol). Tried in order, on the
/// first tool call and again on each call while none worked, so a user who unlocks after starting their agent needs
/// no restart (docs/mcp.md, "Unlocking"):
/// <list type="number">
/// <item>the OS keyring entry of <c>polydev mcp setup</c>: an API token of its own and the keys;</item>
/// <item>this machine's session: the state file's key cache opened by <c>POLYDEV_SESSION</c> (from <c>polydev unlock</c>);</item>
/// <item><c>POLYDEV_PASSWORD</c>: the keys derived for this process.</item>
/// </list>
/// <c>POLYDEV_TOKEN</c> (a <c>pd_t_</c> API token; the old package's <c>POLYDEV_USER_TOKEN</c> is read too) replaces the
/// token the source brings. None working is a <see cref="VaultLockedException"/> that names the command to run; it
/// never waits.
/// </summary>
internal sealed class McpAccess(string? explicitServer) : IDisposable
{
    public const string TokenVariable = "POLYDEV_TOKEN";

    /// <summary>The old <c>polydev-ai</c> package's variable: honoured when it holds one of our API tokens.</summary>
    public const string LegacyTokenVariable = "POLYDEV_USER_TOKEN";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private McpSession? _session;

    /// <summary>The unlocked session, opened now if it was not yet.</summary>
    /// <exception cref="VaultLockedException">No source opens the vault.</exception>
    public async Task<McpSession> SessionAsync(CancellationToken cancellationToken)
    {
        if (_session is { } open)
        {
            return open;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _session ??= await OpenAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Drops the session after the server refused its token (revoked, expired), so the next call looks again and finds
    /// a new <c>polydev mcp setup</c>. Not disposed here: calls running beside this one still use it.
    /// </summary>
    public void Forget(McpSession session) => Interlocked.CompareExchange(ref _session, null, session);

    /// <summary>Whether the vault would open now, and how; for get_cli_status, which must work while locked.</summary>
    public async Task<(McpSession? Session, string? Locked)> TryAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await SessionAsync(cancellationToken), null);
        }
        catch (VaultLockedException e)
        {
            return (null, e.Message);
        }
    }

    private async Task<McpSession> OpenAsync(CancellationToken cancellationToken)
    {
        var token = ApiToken();
        if (McpKeyringEntry.Load(McpKeyringEntry.Keyring()) is { } entry)
        {
            var server = SameServer(entry.Server, "the keyring entry of `polydev mcp setup`");
            return new McpSession(new PolydevApi(server, token ?? entry.Token), entry.Keys(), server, entry.Email, UnlockSources.Keyring);
        }

        var state = StateFile.Default().Load();
        if (state is { KeyCache: { } cache } && SessionKey.FromEnvironment() is { } sessionKey)
        {
            try
            {
                if (KeyCacheCipher.TryOpen(sessionKey, cache, state.UserId) is { } keys)
                {
                    var server = SameServer(state.Server, "this machine's session");
                    return new McpSession(new PolydevApi(server, token ?? state.Token), keys, server, state.Email, UnlockSources.Session);
                }
            }
            finally
            {
                CryptographicOperations.ZeroMemory(sessionKey);
            }
        }

        if (Secrets.FromEnvironment(Secrets.PasswordVariable) is { } password && (token ?? state?.Token) is { } bearer)
        {
            // The state file's token goes only to the server that issued it; an API token of the user's choosing goes where they say.
            var server = token is null ? SameServer(state!.Server, "this machine's sign-in") : explicitServer ?? state?.Server ?? ServerAddress.Default;
            var api = new PolydevApi(server, bearer);
            try
            {
                var account = await api.GetAccountAsync(cancellationToken);
                using var passwordKeys = await PasswordKeys.DeriveAsync(password, PasswordKeys.ToParameters(account.Kdf));
                return new McpSession(api, KeyWrapping.Unlock(account, passwordKeys.Kek), server, state?.Email ?? "", UnlockSources.Password);
            }
            catch (Exception e) when (e is CliException or CryptographicException)
            {
                api.Dispose();
                throw new VaultLockedException($"POLYDEV_PASSWORD did not open the vault on {server}: {(e is CryptographicException ? "the password is wrong" : e.Message)}");
            }
        }

        throw new VaultLockedException(LockedSentence(state, token));
    }

    /// <summary>What the user should do, for what this process found.</summary>
    private static string LockedSentence(LocalState? state, string? token)
    {
        const string Setup = "run `polydev mcp setup` once in a terminal (it keeps a key for the MCP server in your OS keyring)";
        if (state is null && token is null)
        {
            return $"Polydev is not signed in for this MCP server: {Setup}, after `polydev login`.";
        }

        if (token is not null && state is null)
        {
            return $"the Polydev vault is locked: {TokenVariable} signs in but does not unlock. {char.ToUpperInvariant(Setup[0])}{Setup[1..]}, or give the MCP server POLYDEV_PASSWORD too (docs/mcp.md).";
        }

        return SessionKey.IsSet
            ? $"the Polydev vault is locked: POLYDEV_SESSION does not open this machine's key cache (an older `polydev unlock`?). Run `polydev unlock` and pass the new POLYDEV_SESSION, or {Setup}."
            : $"the Polydev vault is locked for this MCP server: {Setup}, or run `polydev unlock` and give the MCP server POLYDEV_SESSION in its env (docs/mcp.md).";
    }

    /// <summary>A source's server, unless the user asked for another: then that is an error, never the token sent elsewhere.</summary>
    private string SameServer(string server, string source) =>
        explicitServer is null || string.Equals(explicitServer, server, StringComparison.OrdinalIgnoreCase)
            ? server
            : throw new VaultLockedException($"{source} is for {server}, not {explicitServer}; run `polydev mcp setup --server {explicitServer}`.");

    /// <summary><c>POLYDEV_TOKEN</c>, else the old package's variable when it holds a Polydev API token.</summary>
    private static string? ApiToken()
    {
        if (Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } token)
        {
            return token.Trim();
        }

        return Environment.GetEnvironmentVariable(LegacyTokenVariable) is { } legacy && legacy.Trim().StartsWith("pd_t_", StringComparison.Ordinal)
            ? legacy.Trim()
            : null;
    }

    public void Dispose()
    {
        _session?.Dispose();
        _gate.Dispose();
    }
}

/// <summary>Where a session's keys came from, as get_cli_status names it.</summary>
internal static class UnlockSources
{
    public const string Keyring = "keyring";
    public const string Session = "session";
    public const string Password = "password";
}

/// <summary>An unlocked vault for the MCP server's tools: the API, the keys, and what opened them.</summary>
internal sealed class McpSession(PolydevApi api, VaultKeys keys, string server, string email, string source) : IDisposable
{
    public PolydevApi Api { get; } = api;

    public VaultKeys Keys { get; } = keys;

    public string Server { get; } = server;

    public string Email { get; } = email;

    /// <summary>One of <see cref="UnlockSources"/>.</summary>
    public string Source { get; } = source;

    public void Dispose()
    {
        Api.Dispose();
        Keys.Dispose();
    }
}

/// <summary>No source opens the vault; the message says which command to run.</summary>
internal sealed class VaultLockedException(string message) : CliException(message);
