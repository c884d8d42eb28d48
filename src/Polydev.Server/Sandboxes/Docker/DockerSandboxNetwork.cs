using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>The Polydev-managed Docker network sandboxes join, and the one address they may reach on it.</summary>
/// <param name="Name">Docker network name.</param>
/// <param name="BridgeName">Host interface of the bridge (<c>com.docker.network.bridge.name</c>), at most 15 characters; the firewall rules match on it.</param>
/// <param name="Subnet">IPv4 subnet in CIDR notation; the gateway is its first address.</param>
/// <param name="EgressFirstPort">First TCP port of the egress proxy's range (<c>Egress:FirstPort</c>).</param>
/// <param name="EgressLastPort">Last TCP port of the egress proxy's range (<c>Egress:LastPort</c>).</param>
public sealed record DockerSandboxNetworkOptions(
    string Name = "polydev-sandboxes",
    string BridgeName = "pd-sandbox0",
    string Subnet = "10.213.0.0/24",
    int EgressFirstPort = 10001,
    int EgressLastPort = 19999)
{
    /// <summary>The bridge's address on the host: where the egress proxy listens (<c>Egress:BindAddress</c>).</summary>
    public IPAddress Gateway
    {
        get
        {
            var network = IPNetwork.Parse(Subnet);
            var bytes = network.BaseAddress.GetAddressBytes();
            bytes[^1] += 1;
            return new IPAddress(bytes);
        }
    }

    /// <summary>Polydev's iptables chain for this bridge (at most 28 characters).</summary>
    public string Chain => "POLYDEV-" + BridgeName;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name);
        if (string.IsNullOrEmpty(BridgeName) || BridgeName.Length > 15 || !BridgeName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"Bridge name '{BridgeName}' must be 1–15 letters, digits, '-', '_' or '.'.");
        }

        if (!IPNetwork.TryParse(Subnet, out var network) || network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || network.PrefixLength is < 8 or > 29)
        {
            throw new ArgumentException($"Sandbox subnet '{Subnet}' must be an IPv4 CIDR between /8 and /29.");
        }

        if (EgressFirstPort is < 1 or > 65535 || EgressLastPort < EgressFirstPort || EgressLastPort > 65535)
        {
            throw new ArgumentException($"Egress port range {EgressFirstPort}–{EgressLastPort} is not a valid TCP port range.");
        }
    }
}

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
    private readonly string _iptables;

    public DockerSandboxNetwork(DockerClient client, DockerSandboxNetworkOptions options, string iptables = "iptables")
    {
        options.Validate();
        _client = client;
        Options = options;
        _iptables = iptables;
    }

    public DockerSandboxNetworkOptions Options { get; }

    /// <summary>What a <see cref="SandboxSpec"/> names to join this network.</summary>
    public SandboxNetwork Network => new(Options.Name);

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
        await InstallRulesAsync(cancellationToken);
    }

    /// <summary>Removes the firewall rules, then the network (which fails while sandboxes are attached).</summary>
    public async Task RemoveAsync(CancellationToken cancellationToken = default)
    {
        await RemoveRulesAsync(cancellationToken);
        await _client.RemoveNetworkAsync(Options.Name, cancellationToken);
    }

    /// <summary>
    /// The chain, rebuilt from scratch (<c>-N</c> when missing, <c>-F</c>, rules), and one jump into it from
    /// INPUT and from DOCKER-USER (each for <c>-i bridge</c>; DOCKER-USER also for <c>-o bridge</c>), inserted
    /// first when missing.
    /// </summary>
    public async Task InstallRulesAsync(CancellationToken cancellationToken = default)
    {
        var chain = Options.Chain;
        if (!await TryIptablesAsync(["-S", chain], cancellationToken))
        {
            await IptablesAsync(["-N", chain], cancellationToken);
        }

        await IptablesAsync(["-F", chain], cancellationToken);
        foreach (var rule in ChainRules(Options))
        {
            await IptablesAsync(["-A", chain, .. rule], cancellationToken);
        }

        // DOCKER-USER exists once dockerd has started with iptables enabled; create it otherwise so the rule
        // is there when dockerd hooks it into FORWARD.
        if (!await TryIptablesAsync(["-S", "DOCKER-USER"], cancellationToken))
        {
            await IptablesAsync(["-N", "DOCKER-USER"], cancellationToken);
        }

        foreach (var jump in Jumps(Options))
        {
            if (!await TryIptablesAsync(["-C", .. jump], cancellationToken))
            {
                await IptablesAsync(["-I", jump[0], "1", .. jump[1..]], cancellationToken);
            }
        }
    }

    /// <summary>Deletes every jump into the chain, then the chain. Idempotent.</summary>
    public async Task RemoveRulesAsync(CancellationToken cancellationToken = default)
    {
        foreach (var jump in Jumps(Options))
        {
            while (await TryIptablesAsync(["-D", .. jump], cancellationToken))
            {
            }
        }

        if (await TryIptablesAsync(["-S", Options.Chain], cancellationToken))
        {
            await IptablesAsync(["-F", Options.Chain], cancellationToken);
            await IptablesAsync(["-X", Options.Chain], cancellationToken);
        }
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

    /// <summary>The chain's rules, in order: the proxy path, then drop.</summary>
    internal static IReadOnlyList<string[]> ChainRules(DockerSandboxNetworkOptions options) =>
    [
        ["-i", options.BridgeName, "-d", options.Gateway + "/32", "-p", "tcp", "--dport", $"{options.EgressFirstPort}:{options.EgressLastPort}", "-j", "ACCEPT"],
        ["-j", "DROP"],
    ];

    /// <summary>Where the chain is jumped to from: <c>[chain, match…, -j, ours]</c>.</summary>
    internal static IReadOnlyList<string[]> Jumps(DockerSandboxNetworkOptions options) =>
    [
        ["INPUT", "-i", options.BridgeName, "-j", options.Chain],
        ["DOCKER-USER", "-i", options.BridgeName, "-j", options.Chain],
        ["DOCKER-USER", "-o", options.BridgeName, "-j", options.Chain],
    ];

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

    private async Task IptablesAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var (exit, error) = await RunAsync(arguments, cancellationToken);
        if (exit != 0)
        {
            throw new SandboxEngineException("docker", "firewall", 500, $"{_iptables} {string.Join(' ', arguments)} exited {exit}: {error.Trim()}");
        }
    }

    private async Task<bool> TryIptablesAsync(string[] arguments, CancellationToken cancellationToken) =>
        (await RunAsync(arguments, cancellationToken)).Exit == 0;

    private async Task<(int Exit, string Error)> RunAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_iptables)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // -w: wait for the xtables lock instead of failing beside dockerd.
        start.ArgumentList.Add("-w");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new SandboxEngineException("docker", "firewall", 500, $"{_iptables} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        await stdout;
        return (process.ExitCode, await stderr);
    }
}
