using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// The sandbox network on a Nomad cluster: on every sandbox node, the egress gateway (<c>polydev egress gateway</c>,
/// a system job) makes the same internal Docker network with the same gateway address and firewall, relays the egress
/// port range to this server's proxy, and marks its node ready (node meta <see cref="NomadEgressSettings.ReadyMeta"/>),
/// which every networked sandbox job requires. So the proxy URL is the same wherever a sandbox lands.
/// </summary>
public sealed class NomadSandboxNetwork(NomadClient client, NomadEngineOptions options, ILogger<NomadSandboxNetwork> logger) : ISandboxNetworkSetup
{
    public SandboxNetwork Network => new(options.Driver.Network);

    public IPAddress EgressAddress => options.Egress.ParsedAddress;

    /// <summary>The proxy listens on this server's own address; the gateways reach it there, sandboxes never do.</summary>
    public string? EgressBindProblem(string bindAddress) => null;

    /// <summary>Checks the cluster answers and says so when no node can take a networked sandbox yet.</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken = default)
    {
        var nodes = await client.GetAsync("v1/nodes", "network check", cancellationToken);
        var ready = 0;
        foreach (var stub in nodes.Body.EnumerateArray().Where(n => NomadAllocationState.String(n, "Status") == "ready"))
        {
            var node = await client.GetAsync($"v1/node/{Uri.EscapeDataString(NomadAllocationState.String(stub, "ID")!)}", "network check", cancellationToken);
            if (node.Body.TryGetProperty("Meta", out var meta) && meta.ValueKind == JsonValueKind.Object
                && NomadAllocationState.String(meta, options.Egress.ReadyMeta) == "ready")
            {
                ready++;
            }
        }

        if (ready == 0)
        {
            NomadLog.NoGateway(logger, options.Egress.ReadyMeta);
        }
    }
}
