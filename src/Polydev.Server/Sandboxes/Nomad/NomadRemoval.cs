using System.Text.Json;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// Removes a sandbox's job for good: deregistered with <c>purge</c>, then every allocation it had (the sandbox's and
/// any replacement Nomad placed after a lost node) waited on until its node stopped it, and collected at once.
/// </summary>
internal sealed class NomadRemoval(NomadClient client, NomadPlacement placement)
{
    /// <summary>False when Nomad did not have the job.</summary>
    /// <param name="knownAllocation">The sandbox's allocation, also waited on when the job is gone already.</param>
    public async Task<bool> RemoveAsync(string jobId, string? knownAllocation, CancellationToken cancellationToken)
    {
        var allocations = await AllocationIdsAsync(jobId, cancellationToken);
        if (!string.IsNullOrEmpty(knownAllocation))
        {
            allocations.Add(knownAllocation);
        }

        var found = await PurgeAsync(jobId, cancellationToken);
        foreach (var allocation in allocations)
        {
            await placement.WaitForStopAndCollectAsync(allocation, cancellationToken);
        }

        return found;
    }

    private async Task<bool> PurgeAsync(string jobId, CancellationToken cancellationToken)
    {
        try
        {
            await client.DeleteAsync($"v1/job/{Uri.EscapeDataString(jobId)}?purge=true", "destroy", cancellationToken);
            return true;
        }
        catch (SandboxEngineException e) when (e.IsNotFound)
        {
            return false;
        }
    }

    private async Task<HashSet<string>> AllocationIdsAsync(string jobId, CancellationToken cancellationToken)
    {
        try
        {
            var read = await client.GetAsync($"v1/job/{Uri.EscapeDataString(jobId)}/allocations", "destroy", cancellationToken);
            return read.Body.ValueKind == JsonValueKind.Array
                ? [.. read.Body.EnumerateArray().Select(a => NomadAllocationState.String(a, "ID")).OfType<string>()]
                : [];
        }
        catch (SandboxEngineException e) when (e.IsNotFound)
        {
            return [];
        }
    }
}
