using System.Net;
using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Nomad;
using Polydev.Server.Tests.Sandboxes.Nomad;
using Polydev.Testing;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>
/// <see cref="NomadSandboxEngine"/> on a <see cref="NomadTestCluster"/>: the stand-in Nomad with two client nodes and
/// real containers, behind the real egress gateway of a node, so the network tests go through the cluster's way out
/// (the relay forwards to the host's loopback, where the suite's "egress" listener binds).
/// </summary>
public sealed class NomadEngineUnderTest : SandboxEngineUnderTest
{
    private readonly OutsideServices _outside = new(SandboxTestImage.Reference);

    public NomadTestCluster Cluster { get; private set; } = null!;

    public override string Image => SandboxTestImage.Reference;

    public override SandboxNetwork Network => Cluster.SandboxNetwork.Network;

    public override IPAddress EgressAddress => Cluster.EgressAddress;

    public override IPAddress EgressBindAddress => IPAddress.Loopback;

    public override (int First, int Last) EgressPorts => Cluster.EgressPorts;

    public override ISandboxEngine CreateEngine(SandboxEngineMetrics metrics, ILoggerFactory loggers)
    {
        var options = Cluster.Options;
        return new NomadSandboxEngine(new NomadClient(options), options, metrics, loggers.CreateLogger<NomadSandboxEngine>());
    }

    public override async Task InitializeAsync() => Cluster = await NomadTestCluster.StartAsync((25001, 25999));

    public override Task<IPEndPoint> StartOutsideServiceAsync(string name) => _outside.StartAsync(name);

    /// <summary>What the cluster still keeps for the sandbox's job: its record, allocations, containers, allocation directories.</summary>
    public override Task<IReadOnlyList<string>> TracesAsync(string sandboxId) => Cluster.StandIn.TracesAsync(NomadJobSpec.JobId(Cluster.Options, sandboxId));

    public override async Task DisposeAsync()
    {
        await _outside.DisposeAsync();
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
