namespace Polydev.Server.Sandboxes.Docker;

/// <summary>
/// Polydev's iptables chain for the sandbox bridge: from the bridge, only TCP to the gateway on the egress port range
/// is accepted, everything else dropped, jumped to from INPUT and (beside Docker's own rules) DOCKER-USER.
/// </summary>
internal sealed class DockerSandboxFirewall(DockerSandboxNetworkOptions options, string iptables)
{
    private readonly DockerSandboxNetworkOptions _options = options;
    private readonly string _iptables = iptables;

    /// <summary>
    /// The chain, rebuilt from scratch (<c>-N</c> when missing, <c>-F</c>, rules), and one jump into it from
    /// INPUT and from DOCKER-USER (each for <c>-i bridge</c>; DOCKER-USER also for <c>-o bridge</c>), inserted
    /// first when missing.
    /// </summary>
    public async Task InstallAsync(CancellationToken cancellationToken = default)
    {
        var chain = _options.Chain;
        if (!await TryIptablesAsync(["-S", chain], cancellationToken))
        {
            await IptablesAsync(["-N", chain], cancellationToken);
        }

        await IptablesAsync(["-F", chain], cancellationToken);
        foreach (var rule in ChainRules(_options))
        {
            await IptablesAsync(["-A", chain, .. rule], cancellationToken);
        }

        // DOCKER-USER exists once dockerd has started with iptables enabled; create it otherwise so the rule
        // is there when dockerd hooks it into FORWARD.
        if (!await TryIptablesAsync(["-S", "DOCKER-USER"], cancellationToken))
        {
            await IptablesAsync(["-N", "DOCKER-USER"], cancellationToken);
        }

        foreach (var jump in Jumps(_options))
        {
            if (!await TryIptablesAsync(["-C", .. jump], cancellationToken))
            {
                await IptablesAsync(["-I", jump[0], "1", .. jump[1..]], cancellationToken);
            }
        }

        if (Redirect(_options) is { } redirect && !await TryIptablesAsync(["-t", "nat", "-C", .. redirect], cancellationToken))
        {
            await IptablesAsync(["-t", "nat", "-I", redirect[0], "1", .. redirect[1..]], cancellationToken);
        }
    }

    /// <summary>Deletes every jump into the chain, then the chain. Idempotent.</summary>
    public async Task RemoveAsync(CancellationToken cancellationToken = default)
    {
        if (Redirect(_options) is { } redirect)
        {
            while (await TryIptablesAsync(["-t", "nat", "-D", .. redirect], cancellationToken))
            {
            }
        }

        foreach (var jump in Jumps(_options))
        {
            while (await TryIptablesAsync(["-D", .. jump], cancellationToken))
            {
            }
        }

        if (await TryIptablesAsync(["-S", _options.Chain], cancellationToken))
        {
            await IptablesAsync(["-F", _options.Chain], cancellationToken);
            await IptablesAsync(["-X", _options.Chain], cancellationToken);
        }
    }

    /// <summary>The chain's rules, in order: the proxy path, the TURN server's port (when there is one), then drop.</summary>
    public static IReadOnlyList<string[]> ChainRules(DockerSandboxNetworkOptions options)
    {
        string gateway = options.Gateway + "/32";
        var rules = new List<string[]>
        {
            new[] { "-i", options.BridgeName, "-d", gateway, "-p", "tcp", "--dport", $"{options.EgressFirstPort}:{options.EgressLastPort}", "-j", "ACCEPT" },
        };
        if (options.RelayPort > 0)
        {
            // What the NAT rule below made of a connection to the range: it arrives on the relay's port.
            rules.Add(["-i", options.BridgeName, "-d", gateway, "-p", "tcp", "--dport", $"{options.RelayPort}", "-j", "ACCEPT"]);
        }

        if (options.TurnPort > 0)
        {
            // Login sandboxes' media: to coturn only, which admits nothing without the session's credentials and relays
            // to nothing but its own relay addresses (docs/login-sessions.md, TURN).
            rules.Add(["-i", options.BridgeName, "-d", gateway, "-p", "udp", "--dport", $"{options.TurnPort}", "-j", "ACCEPT"]);
            rules.Add(["-i", options.BridgeName, "-d", gateway, "-p", "tcp", "--dport", $"{options.TurnPort}", "-j", "ACCEPT"]);
        }

        rules.Add(["-j", "DROP"]);
        return rules;
    }

    /// <summary>
    /// On a cluster node, the NAT rule (table <c>nat</c>) that sends every connection to the egress range on to the
    /// relay's port, keeping its original port for the relay to read (<c>SO_ORIGINAL_DST</c>); null on a single host.
    /// </summary>
    public static string[]? Redirect(DockerSandboxNetworkOptions options) => options.RelayPort > 0
        ? ["PREROUTING", "-i", options.BridgeName, "-d", options.Gateway + "/32", "-p", "tcp", "--dport", $"{options.EgressFirstPort}:{options.EgressLastPort}", "-j", "REDIRECT", "--to-ports", $"{options.RelayPort}"]
        : null;

    /// <summary>Where the chain is jumped to from: <c>[chain, match…, -j, ours]</c>.</summary>
    public static IReadOnlyList<string[]> Jumps(DockerSandboxNetworkOptions options) =>
    [
        ["INPUT", "-i", options.BridgeName, "-j", options.Chain],
        ["DOCKER-USER", "-i", options.BridgeName, "-j", options.Chain],
        ["DOCKER-USER", "-o", options.BridgeName, "-j", options.Chain],
    ];

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

    // -w: wait for the xtables lock instead of failing beside dockerd.
    private Task<(int Exit, string Error)> RunAsync(string[] arguments, CancellationToken cancellationToken) =>
        HostCommand.RunAsync(_iptables, ["-w", .. arguments], cancellationToken);
}
