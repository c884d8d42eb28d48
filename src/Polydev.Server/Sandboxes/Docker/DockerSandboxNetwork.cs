using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polydev.Server.Sandboxes.Docker.HostOperations;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>
/// The sandbox network on one Docker host: an internal bridge (no route out) with inter-container traffic
/// disabled, plus the host firewall rules Docker does not install. What Docker's internal network alone
/// allows (Docker 20.10, measured by the tests): nothing forwarded out of the subnet and, with
/// <c>enable_icc=false</c>, nothing between sandboxes — but every port of every host address (the gateway,
/// the host's other interfaces) stays reachable, because that traffic is delivered locally (INPUT), not
/// forwarded. Polydev's chain closes that: from the bridge, only TCP to the gateway on the egress port range
/// is accepted, everything else is dropped, on INPUT and (again, beside Docker's own rules) on DOCKER-USER.
/// </summary>
public sealed class DockerSandboxNetwork : ISandboxNetworkSetup
{
    private readonly DockerClient _client;
    private readonly IDockerHostOperations _host;

    /// <param name="host">Where the firewall rules are installed from; this process by default (which must then be root).</param>
    public DockerSandboxNetwork(DockerClient client, DockerSandboxNetworkOptions options, IDockerHostOperations? host = null)
    {
        options.Validate();
        _client = client;
        Options = options;
        _host = host ?? new LocalHostOperations();
    }

    public DockerSandboxNetworkOptions Options { get; }

    /// <summary>What a <see cref="SandboxSpec"/> names to join this network.</summary>
    public SandboxNetwork Network => new(Options.Name);

    /// <summary>The bridge's gateway: the only address a sandbox reaches, on the egress port range alone.</summary>
    public IPAddress EgressAddress => Options.Gateway;

    /// <summary>
    /// Creates the network when missing (and checks an existing one is internal, without inter-container
    /// traffic, on the configured bridge and subnet), then (re)installs the firewall rules. Idempotent: call
    /// at every start; the rules are replaced, never duplicated.
    /// </summary>
    public async Task EnsureAsync(CancellationToken cancellationToken = default)
    {
        var existing = await _client.InspectNetworkAsync(Options.Name, cancellationToken);
        if (existing is null)
        {
            try
            {
                await _client.CreateNetworkAsync(CreateBody(Options), cancellationToken);
            }
            catch (SandboxEngineException e) when (e.IsConflict)
            {
                // Created concurrently by another server on this host.
            }

            existing = await _client.InspectNetworkAsync(Options.Name, cancellationToken)
                ?? throw new SandboxEngineException("docker", "network create", 404, $"network {Options.Name} vanished after creation");
        }

        CheckExisting(existing.Value, Options);
        await _host.InstallFirewallAsync(Options, cancellationToken);

        // The other half of the host's side of isolation: no account here may share the sandboxes' uid.
        if (SandboxUser.HostOwner(SandboxUser.Id, SandboxUser.Id) is { } owner)
        {
            throw new SandboxEngineException("docker", "sandbox user", 500,
                $"Sandboxes run as uid and gid {SandboxUser.Id}, but on this host {owner}: that account could read every sandbox's processes. Give it another id.");
        }
    }

    /// <summary>(Re)installs the firewall rules alone (see <see cref="DockerSandboxFirewall"/>).</summary>
    public Task InstallRulesAsync(CancellationToken cancellationToken = default) => _host.InstallFirewallAsync(Options, cancellationToken);

    /// <summary>Removes the firewall rules alone.</summary>
    public Task RemoveRulesAsync(CancellationToken cancellationToken = default) => _host.RemoveFirewallAsync(Options, cancellationToken);

    /// <summary>Removes the firewall rules, then the network (which fails while sandboxes are attached).</summary>
    public async Task RemoveAsync(CancellationToken cancellationToken = default)
    {
        await _host.RemoveFirewallAsync(Options, cancellationToken);
        await _client.RemoveNetworkAsync(Options.Name, cancellationToken);
    }

    /// <summary>The <c>/networks/create</c> body.</summary>
    internal static JsonObject CreateBody(DockerSandboxNetworkOptions options) => new()
    {
        ["Name"] = options.Name,
        ["Driver"] = "bridge",
        ["CheckDuplicate"] = true,
        ["Internal"] = true,
        ["Attachable"] = false,
        ["EnableIPv6"] = false,
        ["IPAM"] = new JsonObject
        {
            ["Driver"] = "default",
            ["Config"] = new JsonArray(new JsonObject
            {
                ["Subnet"] = options.Subnet,
                ["Gateway"] = options.Gateway.ToString(),
            }),
        },
        ["Options"] = new JsonObject
        {
            ["com.docker.network.bridge.name"] = options.BridgeName,
            ["com.docker.network.bridge.enable_icc"] = "false",
            ["com.docker.network.bridge.enable_ip_masquerade"] = "false",
        },
        ["Labels"] = new JsonObject { [SandboxLabels.Marker] = SandboxLabels.SchemaVersion },
    };

    private static void CheckExisting(JsonElement network, DockerSandboxNetworkOptions options)
    {
        var problems = new List<string>();
        if (network.GetProperty("Driver").GetString() != "bridge")
        {
            problems.Add("its driver is not bridge");
        }

        if (!network.GetProperty("Internal").GetBoolean())
        {
            problems.Add("it is not internal");
        }

        var driverOptions = network.TryGetProperty("Options", out var o) && o.ValueKind == JsonValueKind.Object ? o : default;
        string? Option(string key) => driverOptions.ValueKind == JsonValueKind.Object && driverOptions.TryGetProperty(key, out var v) ? v.GetString() : null;
        if (Option("com.docker.network.bridge.enable_icc") != "false")
        {
            problems.Add("inter-container traffic is not disabled");
        }

        if (Option("com.docker.network.bridge.name") != options.BridgeName)
        {
            problems.Add($"its bridge is not {options.BridgeName}");
        }

        var subnets = network.TryGetProperty("IPAM", out var ipam) && ipam.TryGetProperty("Config", out var config) && config.ValueKind == JsonValueKind.Array
            ? config.EnumerateArray().Select(c => c.TryGetProperty("Subnet", out var s) ? s.GetString() : null).ToList()
            : [];
        if (subnets.Count != 1 || subnets[0] != options.Subnet)
        {
            problems.Add($"its subnet is not {options.Subnet}");
        }

        if (problems.Count > 0)
        {
            throw new SandboxEngineException("docker", "network check", 409,
                $"Docker network {options.Name} exists but {string.Join(", ", problems)}; remove it (docker network rm {options.Name}) or configure another name.");
        }
    }
}
