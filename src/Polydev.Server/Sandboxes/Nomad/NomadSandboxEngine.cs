using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// Sandboxes as Nomad jobs, over Nomad's HTTP API (<see cref="NomadClient"/>): one batch job per sandbox
/// (<see cref="NomadJobSpec"/>), followed to a started task with blocking queries (<see cref="NomadPlacement"/>),
/// processes by allocation exec (<see cref="NomadExecProcess"/>), removed with <c>purge</c> and collected.
/// The handle's engine id is the allocation's id, its name the job's id.
/// </summary>
public sealed class NomadSandboxEngine : ISandboxEngine
{
    private readonly NomadClient _client;
    private readonly NomadEngineOptions _options;
    private readonly SandboxEngineMetrics _metrics;
    private readonly ILogger _logger;
    private readonly NomadPlacement _placement;
    private readonly NomadNodes _nodes;
    private readonly NomadRemoval _removal;

    public NomadSandboxEngine(NomadClient client, NomadEngineOptions options, SandboxEngineMetrics metrics, ILogger<NomadSandboxEngine> logger)
    {
        _client = client;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _placement = new NomadPlacement(client, options, metrics);
        metrics.CountPlacementFailuresOf(NomadClient.Engine);
        _nodes = new NomadNodes(client, options);
        _removal = new NomadRemoval(client, _placement);
    }

    public string Name => NomadClient.Engine;

    public async Task<SandboxHandle> CreateAsync(SandboxSpec spec, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var jobId = NomadJobSpec.JobId(_options, spec.Id);
        var submitted = false;
        try
        {
            var body = NomadJobSpec.RegisterBody(spec, _options, await _nodes.CpuMhzPerCoreAsync(cancellationToken));
            // Not cancellable: a register cut off mid-request may still land; once submitted, a failure purges it below.
            submitted = true;
            var registered = await _client.PostAsync("v1/jobs", body, "create", CancellationToken.None);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_options.StartTimeout);
            var evaluation = NomadAllocationState.String(registered.Body, "EvalID");
            if (!string.IsNullOrEmpty(evaluation))
            {
                await _placement.WaitForEvaluationAsync(evaluation, jobId, deadline.Token);
            }

            var allocation = await _placement.WaitForStartAsync(jobId, deadline.Token);
            var allocationId = NomadAllocationState.String(allocation, "ID")!;
            IPAddress? address = null;
            if (spec.Network.Name is not null)
            {
                address = await _placement.AddressAsync(jobId, allocationId, deadline.Token);
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            Observe(SandboxEngineMetrics.OperationNames.Create, SandboxEngineMetrics.Outcomes.Ok, elapsed);
            SandboxLog.Created(_logger, spec.Id, spec.Runtime, spec.Image, spec.ImageVersion, Name, allocationId[..8], elapsed.TotalMilliseconds,
                spec.Limits.User, spec.Limits.MemoryBytes, spec.Limits.Cpus, spec.Limits.PidsLimit, spec.Network.Name ?? "none");
            return new SandboxHandle(spec.Id, allocationId, jobId, address);
        }
        catch (Exception e)
        {
            var problem = e is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? new SandboxEngineException(Name, "create", 504, $"sandbox job {jobId} did not start within {_options.StartTimeout.TotalSeconds:0} s (Sandboxes:Nomad:StartTimeout)", e)
                : e;
            Observe(SandboxEngineMetrics.OperationNames.Create, SandboxEngineMetrics.Outcomes.Of(problem), Stopwatch.GetElapsedTime(started));
            SandboxLog.CreateFailed(_logger, spec.Id, spec.Runtime, spec.Image, Name, problem.Message);
            if (submitted)
            {
                await RemoveQuietlyAsync(jobId);
            }

            if (ReferenceEquals(problem, e))
            {
                throw;
            }

            throw problem;
        }
    }

    public async Task<SandboxProcess> ExecAsync(SandboxHandle sandbox, SandboxCommand command, CancellationToken cancellationToken = default)
    {
        if (command.Arguments.Count == 0)
        {
            throw new ArgumentException("A sandbox command needs at least the program to run.", nameof(command));
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var socket = await _client.ExecAsync(sandbox.EngineId, NomadJobSpec.TaskName, NomadExecCommand.Of(command), cancellationToken);
            Observe(SandboxEngineMetrics.OperationNames.Exec, SandboxEngineMetrics.Outcomes.Ok, Stopwatch.GetElapsedTime(started));
            SandboxLog.ExecStarted(_logger, sandbox.Id, command.Environment.Count);
            return new NomadExecProcess(socket, cancellationToken);
        }
        catch (Exception e)
        {
            Observe(SandboxEngineMetrics.OperationNames.Exec, SandboxEngineMetrics.Outcomes.Of(e), Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    public async Task<SandboxStatus?> InspectAsync(SandboxHandle sandbox, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var status = await StatusAsync(sandbox, cancellationToken);
            Observe(SandboxEngineMetrics.OperationNames.Inspect, status is null ? SandboxEngineMetrics.Outcomes.NotFound : SandboxEngineMetrics.Outcomes.Ok, Stopwatch.GetElapsedTime(started));
            return status;
        }
        catch (Exception e)
        {
            Observe(SandboxEngineMetrics.OperationNames.Inspect, SandboxEngineMetrics.Outcomes.Of(e), Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    private async Task<SandboxStatus?> StatusAsync(SandboxHandle sandbox, CancellationToken cancellationToken)
    {
        // A purged job's allocations linger until collected: without its job, the sandbox is gone.
        if (!await JobExistsAsync(sandbox.Name, cancellationToken))
        {
            return null;
        }

        var read = await _client.GetAsync($"v1/job/{Uri.EscapeDataString(sandbox.Name)}/allocations", "inspect", cancellationToken);
        if (NomadAllocationState.Sandbox(read.Body) is not { } allocation)
        {
            return new SandboxStatus(SandboxEngineState.Created, false, null, null);
        }

        var status = NomadAllocationState.Status(allocation, nodeDown: false);
        if (status.State != SandboxEngineState.Running)
        {
            return status;
        }

        // Nomad reports a task's OOM only when its main process dies; a killed child shows in the cgroup's own count.
        var oom = await NomadOomProbe.ReadAsync(this, sandbox, cancellationToken);
        if (oom is null && await _nodes.IsDownAsync(NomadAllocationState.String(allocation, "NodeID"), cancellationToken))
        {
            return status with { State = SandboxEngineState.Dead, NodeLost = true };
        }

        return status with { OomKilled = oom == true };
    }

    private async Task<bool> JobExistsAsync(string jobId, CancellationToken cancellationToken)
    {
        try
        {
            var job = await _client.GetAsync($"v1/job/{Uri.EscapeDataString(jobId)}", "inspect", cancellationToken);
            return job.Body.TryGetProperty("Stop", out var stop) ? stop.ValueKind != JsonValueKind.True : true;
        }
        catch (SandboxEngineException e) when (e.IsNotFound)
        {
            return false;
        }
    }

    public async Task DestroyAsync(SandboxHandle sandbox, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        string outcome;
        try
        {
            outcome = await _removal.RemoveAsync(sandbox.Name, sandbox.EngineId, cancellationToken) ? SandboxEngineMetrics.Outcomes.Ok : SandboxEngineMetrics.Outcomes.NotFound;
        }
        catch (Exception e)
        {
            Observe(SandboxEngineMetrics.OperationNames.Destroy, SandboxEngineMetrics.Outcomes.Of(e), Stopwatch.GetElapsedTime(started));
            throw;
        }

        Observe(SandboxEngineMetrics.OperationNames.Destroy, outcome, Stopwatch.GetElapsedTime(started));
        SandboxLog.Destroyed(_logger, sandbox.Id, Name, outcome == SandboxEngineMetrics.Outcomes.Ok ? "purged" : "already gone");
    }

    public async Task<IReadOnlyList<SandboxInfo>> ListOwnedAsync(string ownerServerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ownerServerId);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await new NomadListing(_client, _options).ListAsync(ownerServerId, cancellationToken);
            Observe(SandboxEngineMetrics.OperationNames.List, SandboxEngineMetrics.Outcomes.Ok, Stopwatch.GetElapsedTime(started));
            return result;
        }
        catch (Exception e)
        {
            Observe(SandboxEngineMetrics.OperationNames.List, SandboxEngineMetrics.Outcomes.Of(e), Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    private async Task RemoveQuietlyAsync(string jobId)
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _removal.RemoveAsync(jobId, null, limit.Token);
        }
        catch (Exception e) when (e is SandboxEngineException or OperationCanceledException)
        {
            SandboxLog.CreateFailed(_logger, jobId, "-", "-", Name, "its job could not be purged: " + e.Message);
        }
    }

    private void Observe(string operation, string outcome, TimeSpan elapsed)
    {
        _metrics.Operations.WithLabels(Name, operation, outcome).Inc();
        _metrics.Duration.WithLabels(Name, operation).Observe(elapsed.TotalSeconds);
    }
}
