using System.Text.Json;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>What the engine reads of the cluster's nodes: their CPU (to turn cores into Nomad's MHz) and whether one is down.</summary>
internal sealed class NomadNodes(NomadClient client, NomadEngineOptions options)
{
    private static readonly TimeSpan Fresh = TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (int Mhz, DateTimeOffset At)? _cpu;

    /// <summary>
    /// <see cref="NomadDriverSettings.CpuMhzPerCore"/>, or the smallest MHz per core among the ready nodes (read at
    /// most once a minute): with it, a sandbox's share is at most its cores on every node.
    /// </summary>
    public async Task<int> CpuMhzPerCoreAsync(CancellationToken cancellationToken)
    {
        if (options.Driver.CpuMhzPerCore > 0)
        {
            return options.Driver.CpuMhzPerCore;
        }

        if (_cpu is { } known && DateTimeOffset.UtcNow - known.At < Fresh)
        {
            return known.Mhz;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var nodes = await client.GetAsync("v1/nodes?resources=true", "create", cancellationToken);
            var perCore = nodes.Body.EnumerateArray()
                .Where(n => NomadAllocationState.String(n, "Status") == "ready")
                .Select(PerCore)
                .Where(mhz => mhz > 0)
                .DefaultIfEmpty(0)
                .Min();
            if (perCore <= 0)
            {
                throw new SandboxEngineException(NomadClient.Engine, "create", 503,
                    "no ready Nomad node reports its CPU (NodeResources.Cpu); set Sandboxes:Nomad:Driver:CpuMhzPerCore");
            }

            _cpu = (perCore, DateTimeOffset.UtcNow);
            return perCore;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Whether Nomad reports the node down (or gone).</summary>
    public async Task<bool> IsDownAsync(string? nodeId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(nodeId))
        {
            return false;
        }

        try
        {
            var node = await client.GetAsync($"v1/node/{Uri.EscapeDataString(nodeId)}", "inspect", cancellationToken);
            return NomadAllocationState.String(node.Body, "Status") is "down" or "disconnected";
        }
        catch (SandboxEngineException e) when (e.IsNotFound)
        {
            return true;
        }
    }

    private static int PerCore(JsonElement node)
    {
        if (!node.TryGetProperty("NodeResources", out var resources) || !resources.TryGetProperty("Cpu", out var cpu))
        {
            return 0;
        }

        var shares = NomadAllocationState.Long(cpu, "CpuShares");
        var cores = NomadAllocationState.Long(cpu, "TotalCpuCores");
        return cores > 0 ? (int)(shares / cores) : 0;
    }
}
