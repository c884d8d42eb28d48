using System.Text;
using ModelContextProtocol.Protocol;
using Polydev.Client.Vault;
using Polydev.Contracts;
using Polydev.Contracts.Executions;
using Polydev.Contracts.Vault;

namespace Polydev.Client.Mcp;

/// <summary>
/// <c>get_cli_status</c>: for each provider, its credentials (API key or connected account, expiry) and the server's
/// warm sandboxes; the server's readiness; the vault's state and what opened it. Every part that cannot be read says
/// why instead of failing the call, so a locked or unreachable setup still gets an answer that says what to do.
/// </summary>
internal static class CliStatus
{
    public static async Task<CallToolResult> ReadAsync(McpSession? session, string? locked, string? onlyProvider, TimeProvider time, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var providers = onlyProvider is null ? Providers.All : [onlyProvider];
        if (session is null)
        {
            text.Append($"Vault: locked. {locked}\n");
            return ToolResult.Of(text.ToString(), new { Unlocked = false, Locked = locked, Providers = providers.Select(p => new { Provider = p, LegacyProviderId = ProviderIds.LegacyId(p), Cli = Providers.CliName(p) }) });
        }

        var started = time.GetTimestamp();
        string? unreachable = null;
        try
        {
            await session.Api.ReadyAsync(cancellationToken);
        }
        catch (CliException e)
        {
            unreachable = e.Message;
        }

        var readyMs = (long)time.GetElapsedTime(started).TotalMilliseconds;
        text.Append(unreachable is null ? $"Server: {session.Server} ready ({readyMs} ms)\n" : $"Server: {session.Server} not ready: {unreachable}\n");
        text.Append($"Vault: unlocked for {session.Email} (by {session.Source})\n");

        RuntimesResponse? runtimes = null;
        IReadOnlyList<CredentialResponse> credentials = [];
        if (unreachable is null)
        {
            runtimes = await session.Api.GetRuntimesAsync(cancellationToken);
            credentials = await session.Api.ListCredentialsAsync(null, cancellationToken);
        }

        var cipher = new VaultCipher(session.Keys);
        var now = time.GetUtcNow();
        var report = new List<object>();
        foreach (var provider in providers)
        {
            var runtime = runtimes?.Runtimes.FirstOrDefault(r => r.Provider == provider);
            var held = credentials.Where(c => c.Provider == provider).OrderByDescending(c => c.CreatedAt).Select(c =>
            {
                var secret = CredentialSecret.Open(cipher, c.Id, provider, c.Secret).Secret;
                var status = CredentialStatus.Of(secret, now);
                return new { c.Id, Type = secret.Type, secret.Label, secret.Account, secret.ExpiresAt, secret.Refreshable, Expiry = status.Text, status.Warning };
            }).ToList();

            text.Append($"\n{Providers.CliName(provider)} ({provider}, old id {ProviderIds.LegacyId(provider)}):\n");
            text.Append(unreachable is not null ? "  credential: unknown (server not ready)\n"
                : held.Count == 0
                ? $"  credential: none; add one with `polydev credentials add {provider}` or `polydev credentials login {provider}`\n"
                : string.Concat(held.Select(h => $"  credential: {(h.Type == CredentialSecret.OAuth ? "connected account" : "API key")}{(h.Account is { Length: > 0 } account ? $" ({account})" : "")}{(h.Type == CredentialSecret.OAuth ? $", expires {h.Expiry}" : "")}{(h.Warning is { } warning ? $"; {warning}" : "")}\n")));
            text.Append(runtime is null ? "  sandboxes: unknown (server not ready)\n"
                : !runtime.Enabled ? "  sandboxes: off on this server\n"
                : $"  sandboxes: {runtime.Ready} warm of {runtime.WarmTarget} ({runtime.Kind}, image {runtime.ImageVersion ?? "not built yet"})\n");
            report.Add(new
            {
                Provider = provider,
                LegacyProviderId = ProviderIds.LegacyId(provider),
                Cli = Providers.CliName(provider),
                Credentials = held,
                Sandboxes = runtime is null ? null : new { runtime.Kind, runtime.Enabled, WarmReady = runtime.Ready, runtime.WarmTarget, runtime.ImageVersion },
            });
        }

        return ToolResult.Of(text.ToString(), new
        {
            Server = new { Url = session.Server, Ready = unreachable is null, ReadyMs = readyMs, Reason = unreachable },
            Unlocked = true,
            UnlockedBy = session.Source,
            session.Email,
            Providers = report,
            MaxRunSeconds = runtimes?.Limits.MaxRunSeconds,
        });
    }
}
