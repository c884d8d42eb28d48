using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>
/// A real <c>polydev server</c> with sandboxes on the local Docker engine: a network of its own (not the shipped
/// one, not the server tests' 10.214.0.0/24), the egress ports on that network's gateway, a warm pool of one for
/// the provider under test and the other pools off, and the stubs on the host's loopback as the only destination
/// the egress proxy may reach.
/// </summary>
public static partial class SandboxedServer
{
    public const string NetworkName = "polydev-test-e2e";
    public const string BridgeName = "pd-test-e2e";
    public const string Subnet = "10.215.0.0/24";
    public const string Gateway = "10.215.0.1";

    /// <summary>Each provider and the runtime kind that serves it (its pool's name in settings and metrics).</summary>
    private static readonly Dictionary<string, string> Kinds = new() { ["anthropic"] = "claude", ["openai"] = "codex", ["google"] = "gemini" };

    /// <summary>A server id of its own per test, so a test only ever looks at (and reconciles) its own sandboxes.</summary>
    public static string NewServerId() => "e2e-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>
    /// Starts a server for <paramref name="provider"/>; a restart passes the dead server's id, egress port, data
    /// directory and HTTP port.
    /// </summary>
    public static Task<ServerProcess> StartAsync(string provider, string serverId, int egressPort, string? dataDirectory = null, int? port = null) =>
        StartAsync([provider], serverId, egressPort, dataDirectory, port);

    /// <summary>Starts a server with a warm pool of one for each of <paramref name="providers"/> and the others off.</summary>
    public static Task<ServerProcess> StartAsync(
        IReadOnlyCollection<string> providers,
        string serverId,
        int egressPort,
        string? dataDirectory = null,
        int? port = null,
        IReadOnlyDictionary<string, string?>? moreSettings = null,
        IReadOnlyList<string>? runAs = null)
    {
        var settings = Settings(serverId, egressPort);
        // Runtime kind names are dictionary keys compared ordinally: they keep their lower case in the variable names.
        foreach (var (other, kind) in Kinds)
        {
            if (providers.Contains(other))
            {
                settings[$"POLYDEV_SANDBOXES__RUNTIMES__{kind}__WARMTARGET"] = "1";
                settings[$"POLYDEV_SANDBOXES__RUNTIMES__{kind}__MAXSANDBOXES"] = "4";
            }
            else
            {
                settings[$"POLYDEV_SANDBOXES__RUNTIMES__{kind}__ENABLED"] = "false";
            }
        }

        // No login sandboxes unless a test asks for them (tests/…/Login/LoginServer.cs).
        settings["POLYDEV_SANDBOXES__RUNTIMES__login__ENABLED"] = "false";
        foreach (var (name, value) in moreSettings ?? new Dictionary<string, string?>())
        {
            settings[name] = value;
        }

        return ServerProcess.StartAsync(postgresConnectionString: null, settings, dataDirectory, port, runAs);
    }

    /// <summary>The sandbox network's and egress settings of a test server (what a Docker helper for it must be given too).</summary>
    public static Dictionary<string, string?> Settings(string serverId, int egressPort)
    {
        return new Dictionary<string, string?>
        {
            ["POLYDEV_SANDBOXES__ENGINE"] = "docker",
            ["POLYDEV_SANDBOXES__SERVERID"] = serverId,
            ["POLYDEV_SANDBOXES__DOCKER__NETWORK__NAME"] = NetworkName,
            ["POLYDEV_SANDBOXES__DOCKER__NETWORK__BRIDGENAME"] = BridgeName,
            ["POLYDEV_SANDBOXES__DOCKER__NETWORK__SUBNET"] = Subnet,
            // Notice dead sandboxes (after a crash or an engine restart) within a second, not the shipped ten.
            ["POLYDEV_SANDBOXES__HEALTHINTERVAL"] = "00:00:01",
            ["POLYDEV_EGRESS__BINDADDRESS"] = Gateway,
            ["POLYDEV_EGRESS__FIRSTPORT"] = egressPort.ToString(CultureInfo.InvariantCulture),
            ["POLYDEV_EGRESS__LASTPORT"] = egressPort.ToString(CultureInfo.InvariantCulture),
            ["POLYDEV_EGRESS__ALLOWEDDESTINATIONS__0"] = "127.0.0.1/32",
        };
    }

    /// <summary>The pool's ready sandboxes as the server reports them on <c>/metrics</c>.</summary>
    public static Task<int> ReadyCountAsync(ServerProcess server, string provider) => ReadyCountOfKindAsync(server, Kinds[provider]);

    /// <summary>The ready sandboxes of a runtime kind's pool as the server reports them on <c>/metrics</c>.</summary>
    public static async Task<int> ReadyCountOfKindAsync(ServerProcess server, string kind)
    {
        var metrics = await server.GetAsync("/metrics");
        var match = ReadyGauge().Matches(metrics).FirstOrDefault(m => m.Groups["runtime"].Value == kind);
        return match is null ? 0 : (int)double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>Waits until the provider's pool has a ready sandbox.</summary>
    public static Task WaitForReadyAsync(ServerProcess server, string provider, TimeSpan timeout) => WaitForKindReadyAsync(server, Kinds[provider], timeout);

    /// <summary>Waits until a runtime kind's pool has a ready sandbox.</summary>
    public static async Task WaitForKindReadyAsync(ServerProcess server, string kind, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await ReadyCountOfKindAsync(server, kind) >= 1)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // The server may be busy reconnecting to the engine; ask again.
            }

            Assert.True(DateTime.UtcNow < deadline, $"The {kind} pool had no ready sandbox within {timeout.TotalSeconds} s.\n{server.Logs}");
            await Task.Delay(200);
        }
    }

    /// <summary>The user's newest execution as <c>GET /api/executions</c> shows it, with the session token the CLI keeps.</summary>
    public static async Task<JsonElement> NewestExecutionAsync(ServerProcess server, Cli cli)
    {
        using var state = JsonDocument.Parse(await File.ReadAllTextAsync(cli.StatePath));
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", state.RootElement.GetProperty("token").GetString());
        using var page = JsonDocument.Parse(await http.GetStringAsync(server.Url + "/api/executions?limit=1"));
        return page.RootElement.GetProperty("items")[0].Clone();
    }

    [GeneratedRegex("""^polydev_sandboxes\{(?=[^}]*runtime="(?<runtime>[a-z]+)")(?=[^}]*state="ready")[^}]*\}\s+(?<value>\S+)""", RegexOptions.Multiline)]
    private static partial Regex ReadyGauge();
}
