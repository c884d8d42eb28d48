using System.Text.Json;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// The sandboxes one server owns: its jobs (by <see cref="NomadEngineOptions.JobPrefix"/>, then by the owner in
/// their meta), each with its allocation's state. A job whose allocation was never placed is listed too, so a
/// restarted server removes it.
/// </summary>
internal sealed class NomadListing(NomadClient client, NomadEngineOptions options)
{
    public async Task<IReadOnlyList<SandboxInfo>> ListAsync(string ownerServerId, CancellationToken cancellationToken)
    {
        var jobs = await client.GetAsync($"v1/jobs?prefix={Uri.EscapeDataString(options.JobPrefix)}&meta=true", "list", cancellationToken);
        var owned = new List<(string JobId, JsonElement Meta, long SubmitTime)>();
        foreach (var job in jobs.Body.EnumerateArray())
        {
            var id = NomadAllocationState.String(job, "ID");
            if (id is null || job.TryGetProperty("Stop", out var stop) && stop.ValueKind == JsonValueKind.True)
            {
                continue;
            }

            // Older agents ignore meta=true: read the job itself then.
            var meta = job.TryGetProperty("Meta", out var m) && m.ValueKind == JsonValueKind.Object
                ? m
                : (await client.GetAsync($"v1/job/{Uri.EscapeDataString(id)}", "list", cancellationToken)).Body.GetProperty("Meta");
            if (meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty(SandboxLabels.Marker, out _)
                && NomadAllocationState.String(meta, SandboxLabels.Owner) == ownerServerId)
            {
                owned.Add((id, meta.Clone(), NomadAllocationState.Long(job, "SubmitTime")));
            }
        }

        var infos = await Task.WhenAll(owned.Select(job => InfoAsync(job.JobId, job.Meta, job.SubmitTime, ownerServerId, cancellationToken)));
        return infos;
    }

    private async Task<SandboxInfo> InfoAsync(string jobId, JsonElement meta, long submitTime, string ownerServerId, CancellationToken cancellationToken)
    {
        var allocations = await client.GetAsync($"v1/job/{Uri.EscapeDataString(jobId)}/allocations", "list", cancellationToken);
        var allocation = NomadAllocationState.Sandbox(allocations.Body);
        var labels = meta.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!);
        var state = allocation is { } a ? NomadAllocationState.Status(a, nodeDown: false).State : SandboxEngineState.Created;
        var handle = new SandboxHandle(labels.GetValueOrDefault(SandboxLabels.Id, jobId), allocation is { } b ? NomadAllocationState.String(b, "ID")! : "", jobId);
        return new SandboxInfo(
            handle,
            labels.GetValueOrDefault(SandboxLabels.Runtime, ""),
            labels.GetValueOrDefault(SandboxLabels.ImageVersion, ""),
            ownerServerId,
            state,
            NomadAllocationState.FromNanoseconds(submitTime),
            labels);
    }
}
