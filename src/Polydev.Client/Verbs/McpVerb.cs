using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Polydev.Client.Api;
using Polydev.Client.Keys;
using Polydev.Client.Mcp;
using Polydev.Client.Terminal;
using Polydev.Contracts.Accounts;

namespace Polydev.Client.Verbs;

/// <summary>
/// <c>polydev mcp</c>: the MCP server an agent starts (stdio, or Streamable HTTP on loopback); <c>polydev mcp setup</c>
/// and <c>remove</c>: the OS keyring entry that lets it unlock with no prompt. docs/mcp.md describes all three.
/// </summary>
internal static class McpVerb
{
    public static Command Create(GlobalOptions globals, Action<ILoggingBuilder, IConfiguration> logging)
    {
        var http = new Option<string?>("--http") { Description = "Serve Streamable HTTP on this loopback address (such as 127.0.0.1:8765) instead of stdio; a bearer token guards it.", HelpName = "ADDRESS:PORT" };
        var metrics = new Option<string?>("--metrics") { Description = "With stdio, serve Prometheus /metrics on this loopback address (with --http they are on its listener).", HelpName = "ADDRESS:PORT" };
        var mcp = new Command("mcp", "Run Polydev's MCP server for an agent (Claude Code, Codex, Gemini CLI, Cursor, Claude Desktop): perspectives from your own CLI accounts.")
        {
            http, metrics, Setup(globals), Remove(globals),
        };
        VerbAction.Set(mcp, globals, context =>
        {
            var options = new McpServeOptions(
                ServerAddress.Explicit(context.Parse.GetValue(globals.Server)),
                Loopback(context.Parse.GetValue(http), "--http"),
                Loopback(context.Parse.GetValue(metrics), "--metrics"));
            return McpServerHost.RunAsync(options, logging, context.Cancellation);
        });
        return mcp;
    }

    private static Command Setup(GlobalOptions globals)
    {
        var days = new Option<int?>("--days") { Description = "The MCP server's API token expires after this many days (default: the server's maximum).", HelpName = "N" };
        var setup = new Command("setup", "Keep an API token and your vault key in the OS keyring, so `polydev mcp` unlocks with no prompt.") { days };
        VerbAction.Set(setup, globals, context => SetupAsync(context, context.Parse.GetValue(days)));
        return setup;
    }

    private static Command Remove(GlobalOptions globals)
    {
        var remove = new Command("remove", "Revoke the MCP server's API token and delete its OS keyring entry.");
        VerbAction.Set(remove, globals, RemoveAsync);
        return remove;
    }

    /// <summary>The API token's name in `polydev tokens list`: which machine's MCP server holds it.</summary>
    private static string TokenName => $"polydev mcp on {Environment.MachineName}" is var name && name.Length <= 100 ? name : name[..100];

    private static async Task<int> SetupAsync(VerbContext context, int? days)
    {
        using var api = context.SignedInApi(out var state);
        var keyring = McpKeyringEntry.Keyring();
        keyring.EnsureAvailable();
        using var keys = await UnlockedKeysAsync(context, api, state);
        var previous = McpKeyringEntry.Load(keyring);
        var created = await api.CreateTokenAsync(new CreateApiTokenRequest(TokenName, days), context.Cancellation);
        new McpKeyringEntry
        {
            Server = state.Server,
            Email = state.Email,
            UserId = state.UserId,
            TokenId = created.Id,
            Token = created.Token,
            UserKey = keys.UserKey,
            PrivateKey = keys.PrivateKey,
        }.Save(keyring);

        // The entry it replaces held a token of its own: revoked, so setup never leaves a live token nobody holds.
        if (previous is not null && previous.Server == state.Server)
        {
            await RevokeQuietlyAsync(api, previous.TokenId, context.Cancellation);
        }

        var binary = Environment.ProcessPath ?? "polydev";
        context.Output.Result(new { server = state.Server, email = state.Email, tokenId = created.Id, expiresAt = created.ExpiresAt, command = binary, args = new[] { "mcp" } });
        context.Output.Line($"The MCP server now unlocks on its own (API token {created.Id}, expires {Output.When(created.ExpiresAt)}; key in the OS keyring).");
        context.Output.Line($"Add it to Claude Code:  claude mcp add polydev -- {binary} mcp");
        var config = new Dictionary<string, object> { ["mcpServers"] = new Dictionary<string, object> { ["polydev"] = new { command = binary, args = new[] { "mcp" } } } };
        context.Output.Line($"Or to any MCP client:   {System.Text.Json.JsonSerializer.Serialize(config)}");
        return ExitCodes.Success;
    }

    private static async Task<int> RemoveAsync(VerbContext context)
    {
        var keyring = McpKeyringEntry.Keyring();
        var entry = McpKeyringEntry.Load(keyring);
        if (entry is null)
        {
            context.Output.Result(new { removed = false });
            context.Output.Line("No MCP keyring entry here; nothing to remove.");
            return ExitCodes.Success;
        }

        // Revoked with this machine's session where there is one (revoking takes a session); the entry goes either way.
        var revoked = false;
        if (context.State is { } state && state.Server == entry.Server)
        {
            using var api = context.SignedInApi(out _);
            revoked = await RevokeQuietlyAsync(api, entry.TokenId, context.Cancellation);
        }

        keyring.Clear();
        context.Output.Result(new { removed = true, tokenId = entry.TokenId, revoked });
        context.Output.Line(revoked
            ? $"Removed the MCP keyring entry and revoked its API token {entry.TokenId}."
            : $"Removed the MCP keyring entry; revoke its API token with `polydev tokens revoke {entry.TokenId}` once signed in to {entry.Server}.");
        return ExitCodes.Success;
    }

    /// <summary>This machine's unlocked keys: the session's, else from the password (asked, or POLYDEV_PASSWORD).</summary>
    private static async Task<VaultKeys> UnlockedKeysAsync(VerbContext context, PolydevApi api, State.LocalState state)
    {
        try
        {
            return await Session.KeysAsync(context, api, state);
        }
        catch (CliException) when (Prompt.CanAsk)
        {
            return await Session.UnlockWithPasswordAsync(context, api, Secrets.Password());
        }
    }

    private static async Task<bool> RevokeQuietlyAsync(PolydevApi api, Guid tokenId, CancellationToken cancellationToken)
    {
        try
        {
            await api.RevokeTokenAsync(tokenId, cancellationToken);
            return true;
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return true;
        }
        catch (CliException)
        {
            return false;
        }
    }

    /// <summary>A loopback endpoint from <c>ADDRESS:PORT</c> (<c>localhost</c> is 127.0.0.1); any other address is refused.</summary>
    private static IPEndPoint? Loopback(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        var normalized = text.Trim().Replace("localhost:", "127.0.0.1:", StringComparison.OrdinalIgnoreCase);
        if (!IPEndPoint.TryParse(normalized, out var endpoint) || normalized.LastIndexOf(':') < 0 || endpoint.Port is < 0 or > 65535)
        {
            throw new UsageException($"{option} takes ADDRESS:PORT, such as 127.0.0.1:8765.");
        }

        return IPAddress.IsLoopback(endpoint.Address)
            ? endpoint
            : throw new UsageException($"{option} binds to a loopback address only (127.0.0.1 or [::1]): the MCP server acts with your unlocked vault.");
    }
}
