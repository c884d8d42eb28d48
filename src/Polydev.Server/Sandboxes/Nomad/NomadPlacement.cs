using System.Text.Json;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// Follows a submitted sandbox job to a started task with blocking queries (never a polling loop): first its
/// evaluation (a placement failure is final, with the dimension Nomad names), then its allocation, then, on a network,
/// the address Nomad's service catalog reports for it.
/// </summary>
internal sealed class NomadPlacement(NomadClient client, NomadEngineOptions options, SandboxEngineMetrics metrics)
{
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(30);

    /// <summary>Waits until the job's evaluation is done; throws when it placed nothing.</summary>
    public async Task WaitForEvaluationAsync(string evaluationId, string jobId, CancellationToken cancellationToken)
    {
        ulong index = 0;
        while (true)
        {
            var read = await client.GetAsync($"v1/evaluation/{Uri.EscapeDataString(evaluationId)}", "create", cancellationToken, index, LongestWait);
            index = Math.Max(index, read.Index);
            var status = NomadAllocationState.String(read.Body, "Status");
            if (status is "pending" or null)
            {
                continue;
            }

            if (read.Body.TryGetProperty("FailedTGAllocs", out var failed) && failed.ValueKind == JsonValueKind.Object && failed.EnumerateObject().Any())
            {
                var (dimension, detail) = Explain(failed.EnumerateObject().First().Value);
                metrics.PlacementFailures.WithLabels(NomadClient.Engine, dimension).Inc();
                throw new SandboxEngineException(NomadClient.Engine, "create", 503, $"Nomad could not place sandbox job {jobId}: {detail}");
            }

            if (status is "failed" or "canceled")
            {
                throw new SandboxEngineException(NomadClient.Engine, "create", 500,
                    $"Nomad's evaluation of sandbox job {jobId} ended {status}: {NomadAllocationState.String(read.Body, "StatusDescription") ?? "no reason given"}");
            }

            return;
        }
    }

    /// <summary>Waits until the job's allocation has started its task (it may have ended since); throws when it cannot.</summary>
    public async Task<JsonElement> WaitForStartAsync(string jobId, CancellationToken cancellationToken)
    {
        ulong index = 0;
        while (true)
        {
            var read = await client.GetAsync($"v1/job/{Uri.EscapeDataString(jobId)}/allocations", "create", cancellationToken, index, LongestWait);
            index = Math.Max(index, read.Index);
            if (NomadAllocationState.Sandbox(read.Body) is not { } allocation)
            {
                continue;
            }

            if (NomadAllocationState.DriverFailure(allocation) is { } failure && !NomadAllocationState.Started(allocation))
            {
                metrics.PlacementFailures.WithLabels(NomadClient.Engine, "driver").Inc();
                throw new SandboxEngineException(NomadClient.Engine, "create", 500, $"the Docker driver could not start sandbox job {jobId} on node {NomadAllocationState.String(allocation, "NodeName")}: {failure}");
            }

            if (NomadAllocationState.Started(allocation))
            {
                return allocation;
            }

            if (NomadAllocationState.String(allocation, "ClientStatus") is "failed" or "lost" or "complete")
            {
                throw new SandboxEngineException(NomadClient.Engine, "create", 500,
                    $"sandbox job {jobId}'s allocation ended {NomadAllocationState.String(allocation, "ClientStatus")} before its task started: {NomadAllocationState.String(allocation, "ClientDescription") ?? "no reason given"}");
            }
        }
    }

    /// <summary>The sandbox's address on its network, from its service registration (<c>address_mode = "driver"</c>).</summary>
    public async Task<System.Net.IPAddress> AddressAsync(string jobId, string allocationId, CancellationToken cancellationToken)
    {
        ulong index = 0;
        while (true)
        {
            var read = await client.GetAsync($"v1/service/{Uri.EscapeDataString(jobId)}", "create", cancellationToken, index, LongestWait);
            index = Math.Max(index, read.Index);
            if (read.Body.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var registration in read.Body.EnumerateArray())
            {
                if (NomadAllocationState.String(registration, "AllocID") == allocationId
                    && System.Net.IPAddress.TryParse(NomadAllocationState.String(registration, "Address"), out var address))
                {
                    return address;
                }
            }
        }
    }

    /// <summary>Waits until an allocation has stopped on its node (its container gone), then has Nomad collect it.</summary>
    public async Task WaitForStopAndCollectAsync(string allocationId, CancellationToken cancellationToken)
    {
        ulong index = 0;
        while (true)
        {
            NomadClient.Read read;
            try
            {
                read = await client.GetAsync($"v1/allocation/{Uri.EscapeDataString(allocationId)}", "destroy", cancellationToken, index, LongestWait);
            }
            catch (SandboxEngineException e) when (e.IsNotFound)
            {
                return;
            }

            index = Math.Max(index, read.Index);
            if (NomadAllocationState.String(read.Body, "ClientStatus") is "complete" or "failed" or "lost")
            {
                break;
            }
        }

        try
        {
            // The node keeps a stopped allocation's directory until its own GC; this collects it now.
            await client.GetAsync($"v1/client/allocation/{Uri.EscapeDataString(allocationId)}/gc", "destroy", cancellationToken);
        }
        catch (SandboxEngineException e) when (e.IsNotFound || e.IsUnreachable || e.Status >= 500)
        {
            // Gone already, or its node is: the server's GC removes the record.
        }
    }

    /// <summary>The dimension (a bounded label) and the words for an <c>AllocMetric</c> of a failed placement.</summary>
    internal (string Dimension, string Detail) Explain(JsonElement metric)
    {
        var evaluated = NomadAllocationState.Long(metric, "NodesEvaluated");
        var exhausted = Counts(metric, "DimensionExhausted");
        var filtered = Counts(metric, "ConstraintFiltered");
        var where = $"datacenters {string.Join(", ", options.Datacenters)}, node pool {options.NodePool ?? "default"}";
        if (evaluated == 0)
        {
            return ("no_nodes", $"no ready node in {where}");
        }

        if (exhausted.Count > 0)
        {
            var (name, count) = exhausted.MaxBy(p => p.Value);
            var dimension = name.Split(' ')[0].ToLowerInvariant() switch
            {
                "cpu" => "cpu",
                "memory" => "memory",
                "disk" => "disk",
                _ => "other",
            };
            return (dimension, $"no capacity: {count} of {evaluated} nodes lack {name} ({Describe(exhausted)}); add nodes or lower the pools' warm targets");
        }

        if (filtered.Count > 0)
        {
            return ("constraint", $"{evaluated} nodes evaluated, filtered by {Describe(filtered)}; is the egress gateway running on the sandbox nodes (node meta {options.Egress.ReadyMeta} = ready)?");
        }

        return ("other", $"{evaluated} nodes evaluated, none fit");
    }

    private static Dictionary<string, long> Counts(JsonElement metric, string name) =>
        metric.TryGetProperty(name, out var counts) && counts.ValueKind == JsonValueKind.Object
            ? counts.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).ToDictionary(p => p.Name, p => p.Value.GetInt64())
            : [];

    private static string Describe(Dictionary<string, long> counts) => string.Join(", ", counts.Select(p => $"{p.Key}: {p.Value}"));
}
