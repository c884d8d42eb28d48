using System.Globalization;
using System.Net;
using Polydev.Server.Egress.Gateway;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Nomad;
using Polydev.Server.Tests.Sandboxes.Conformance;
using Polydev.Testing.Nomad;
using Prometheus;

namespace Polydev.Server.Tests.Sandboxes.Nomad;

/// <summary>
/// A cluster for tests: the stand-in Nomad (two client nodes, an ACL token, real containers on the local Docker
/// engine), and in front of its nodes the real egress gateway of a node — the sandbox network made by the Docker
/// engine's code with the gateway's NAT redirect of the egress range, and the relay forwarding each connection to the
/// host's loopback on the same port, where the server's proxy (or a test's listener) is. The nodes share one Docker
/// daemon, so they share one gateway; docs/nomad.md says so.
/// </summary>
public sealed class NomadTestCluster : IAsyncDisposable
{
    public const string Token = "0b7f1f2e-3c4d-4e5f-8a9b-polydev-test";

    private NomadTestCluster(NomadStandIn standIn, DockerSandboxNetwork network, EgressGatewayRelay relay, (int First, int Last) egressPorts, string suffix)
    {
        StandIn = standIn;
        SandboxNetwork = network;
        Relay = relay;
        EgressPorts = egressPorts;
        JobPrefix = "polydev-test-" + suffix + "-";
    }

    public NomadStandIn StandIn { get; }

    public DockerSandboxNetwork SandboxNetwork { get; }

    public EgressGatewayRelay Relay { get; }

    public (int First, int Last) EgressPorts { get; }

    /// <summary>This cluster's own job prefix, so tests running side by side never list each other's jobs.</summary>
    public string JobPrefix { get; }

    /// <summary>The engine's settings for this cluster.</summary>
    public NomadEngineOptions Options => new()
    {
        Address = StandIn.Address.ToString(),
        Token = Token,
        JobPrefix = JobPrefix,
        Driver = new NomadDriverSettings { Network = SandboxNetwork.Options.Name },
        Egress = new NomadEgressSettings { Address = SandboxNetwork.Options.Gateway.ToString() },
    };

    /// <summary>A server's settings for this cluster: engine <c>nomad</c>, its proxy on loopback behind the gateway.</summary>
    public Dictionary<string, string?> ServerSettings() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Sandboxes:Engine"] = "nomad",
        ["Sandboxes:Nomad:Address"] = StandIn.Address.ToString(),
        ["Sandboxes:Nomad:Token"] = Token,
        ["Sandboxes:Nomad:JobPrefix"] = JobPrefix,
        ["Sandboxes:Nomad:Driver:Network"] = SandboxNetwork.Options.Name,
        ["Sandboxes:Nomad:Egress:Address"] = SandboxNetwork.Options.Gateway.ToString(),
        ["Egress:BindAddress"] = "127.0.0.1",
        ["Egress:FirstPort"] = EgressPorts.First.ToString(CultureInfo.InvariantCulture),
        ["Egress:LastPort"] = EgressPorts.Last.ToString(CultureInfo.InvariantCulture),
        ["Egress:Gateways:0"] = "127.0.0.0/8",
    };

    /// <param name="egressPorts">The range the gateway redirects (the server's <c>Egress:FirstPort</c>–<c>LastPort</c>).</param>
    public static async Task<NomadTestCluster> StartAsync((int First, int Last) egressPorts, NomadStandInOptions? options = null)
    {
        await DockerEngineUnderTest.EnsureImageAsync();
        var standIn = await NomadStandIn.StartAsync(options ?? new NomadStandInOptions
        {
            ManagementToken = Token,
            NodeMeta = new Dictionary<string, string> { ["polydev_egress"] = "ready" },
        });
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var relayPort = HostServices.FreePort(26001, 26999);
        DockerSandboxNetwork network;
        for (var attempt = 1; ; attempt++)
        {
            network = new DockerSandboxNetwork(DockerEngineUnderTest.Client, new DockerSandboxNetworkOptions(
                Name: "polydev-test-nomad-" + suffix,
                BridgeName: "pdn-" + suffix,
                Subnet: $"10.{200 + Random.Shared.Next(50)}.{Random.Shared.Next(256)}.0/24",
                EgressFirstPort: egressPorts.First,
                EgressLastPort: egressPorts.Last,
                RelayPort: relayPort));
            try
            {
                await network.EnsureAsync();
                break;
            }
            catch (SandboxEngineException e) when (attempt < 5 && e.Detail.Contains("overlap", StringComparison.OrdinalIgnoreCase))
            {
            }
        }

        var relay = new EgressGatewayRelay(
            new EgressGatewayOptions { Upstream = "127.0.0.1", RelayPort = relayPort },
            network.Options.Gateway, egressPorts, new EgressGatewayMetrics(Metrics.NewCustomRegistry()),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        relay.Start();
        return new NomadTestCluster(standIn, network, relay, egressPorts, suffix);
    }

    public IPAddress EgressAddress => SandboxNetwork.Options.Gateway;

    public async ValueTask DisposeAsync()
    {
        await Relay.DisposeAsync();
        await StandIn.DisposeAsync();
        await SandboxNetwork.RemoveAsync();
    }
}
