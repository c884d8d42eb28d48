using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes.Docker.HostOperations;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>
/// Sandboxes as Docker containers, over the Engine API (<see cref="DockerClient"/>). Each rule of
/// <see cref="SandboxLimits"/> maps onto a <c>HostConfig</c> field (docs/sandboxes.md has the table);
/// every container carries <see cref="SandboxLabels"/>. Images are never pulled.
/// </summary>
public sealed class DockerSandboxEngine : ISandboxEngine
{
    private const string EngineName = "docker";

    private readonly DockerClient _client;
    private readonly SandboxEngineMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IDockerHostOperations _host;
    private readonly DockerCpuBurst _cpu;

    /// <param name="host">Where the root work is done (scratch disks, the resolver rule, CPU burst); in this process by default.</param>
    public DockerSandboxEngine(DockerClient client, SandboxEngineMetrics metrics, ILogger<DockerSandboxEngine> logger, IDockerHostOperations? host = null, DockerEngineOptions? options = null)
    {
        _client = client;
        _metrics = metrics;
        _logger = logger;
        options ??= new DockerEngineOptions();
        options.Validate();
        _host = host ?? new LocalHostOperations(options.ScratchRoot);
        _cpu = new DockerCpuBurst(options.CpuPeriodMicroseconds, options.CpuBurst, logger);
    }

    public string Name => EngineName;

    /// <summary>The container name of a sandbox: <c>polydev-{id}</c>.</summary>
    public static string ContainerName(string sandboxId) => $"polydev-{sandboxId}";

    public async Task<SandboxHandle> CreateAsync(SandboxSpec spec, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        string? containerId = null;
        try
        {
            var (uid, gid) = spec.Limits.ParseUser();
            var scratch = await _host.CreateScratchAsync(spec.Id, spec.Limits.ScratchBytes, uid, gid, cancellationToken);
            var body = DockerContainerSpec.CreateBody(spec, scratch, _cpu.PeriodMicroseconds);
            var name = ContainerName(spec.Id);
            // Not cancellable: a create cut off mid-request may still complete on the daemon, leaving a container
            // this call never learnt the id of. Once the id is known, a cancellation removes it below.
            containerId = await _client.CreateContainerAsync(name, body, CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            await _client.StartContainerAsync(containerId, cancellationToken);
            System.Net.IPAddress? address = null;
            var container = await _client.InspectContainerAsync(containerId, cancellationToken);
            var pid = DockerContainerState.Pid(container);
            if (spec.Network.Name is { } network)
            {
                address = DockerContainerState.Address(container, network);
                await _host.BlockEmbeddedDnsAsync(pid, cancellationToken);
            }

            await _cpu.ApplyAsync(_host, pid, spec.Limits.Cpus, cancellationToken);

            var elapsed = Stopwatch.GetElapsedTime(started);
            Observe(SandboxEngineMetrics.OperationNames.Create, SandboxEngineMetrics.Outcomes.Ok, elapsed);
            SandboxLog.Created(_logger, spec.Id, spec.Runtime, spec.Image, spec.ImageVersion, EngineName, containerId[..12], elapsed.TotalMilliseconds,
                spec.Limits.User, spec.Limits.MemoryBytes, spec.Limits.Cpus, spec.Limits.PidsLimit, spec.Network.Name ?? "none");
            return new SandboxHandle(spec.Id, containerId, name, address);
        }
        catch (Exception e)
        {
            Observe(SandboxEngineMetrics.OperationNames.Create, SandboxEngineMetrics.Outcomes.Of(e), Stopwatch.GetElapsedTime(started));
            SandboxLog.CreateFailed(_logger, spec.Id, spec.Runtime, spec.Image, EngineName, e.Message);
            if (containerId is not null)
            {
                // Created but not started: leave nothing behind.
                try
                {
                    await _client.RemoveContainerAsync(containerId, CancellationToken.None);
                }
                catch (SandboxEngineException)
                {
                }
            }

            await RemoveScratchQuietlyAsync(spec.Id);
            throw;
        }
    }

    private async Task RemoveScratchQuietlyAsync(string sandboxId)
    {
        try
        {
            await _host.RemoveScratchAsync(sandboxId, CancellationToken.None);
        }
        catch (Exception e) when (e is SandboxEngineException or IOException)
        {
            SandboxLog.CreateFailed(_logger, sandboxId, "-", "-", EngineName, "its scratch disk could not be removed: " + e.Message);
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
            var body = DockerContainerSpec.ExecBody(command);
            var execId = await _client.CreateExecAsync(sandbox.EngineId, body, cancellationToken);
            var (socket, leftover) = await _client.StartExecHijackedAsync(execId, cancellationToken);
            Observe(SandboxEngineMetrics.OperationNames.Exec, SandboxEngineMetrics.Outcomes.Ok, Stopwatch.GetElapsedTime(started));
            SandboxLog.ExecStarted(_logger, sandbox.Id, command.Environment.Count);
            return new DockerExecProcess(_client, execId, socket, leftover, cancellationToken);
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
            var container = await _client.InspectContainerAsync(sandbox.EngineId, cancellationToken);
            var pid = DockerContainerState.Pid(container);
            var oomKills = pid > 0 && !DockerContainerState.OomKilledByDocker(container) ? await _host.CountOomKillsAsync(pid, cancellationToken) : 0;
            Observe(SandboxEngineMetrics.OperationNames.Inspect, SandboxEngineMetrics.Outcomes.Ok, Stopwatch.GetElapsedTime(started));
            return DockerContainerState.Status(container, oomKills);
        }
        catch (SandboxEngineException e) when (e.IsNotFound)
        {
            Observe(SandboxEngineMetrics.OperationNames.Inspect, SandboxEngineMetrics.Outcomes.NotFound, Stopwatch.GetElapsedTime(started));
            return null;
        }
        catch (Exception e)
        {
            Observe(SandboxEngineMetrics.OperationNames.Inspect, SandboxEngineMetrics.Outcomes.Of(e), Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    public async Task DestroyAsync(SandboxHandle sandbox, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        string outcome;
        try
        {
            await _client.RemoveContainerAsync(sandbox.EngineId, cancellationToken);
            outcome = SandboxEngineMetrics.Outcomes.Ok;
        }
        catch (SandboxEngineException e) when (e.IsNotFound)
        {
            outcome = SandboxEngineMetrics.Outcomes.NotFound;
        }
        catch (SandboxEngineException e) when (e.IsConflict && e.Detail.Contains("already in progress", StringComparison.OrdinalIgnoreCase))
        {
            // Someone else is removing it already: wait until it is gone.
            outcome = SandboxEngineMetrics.Outcomes.Ok;
            while (await InspectAsync(sandbox, cancellationToken) is not null)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
        catch (Exception e)
        {
            Observe(SandboxEngineMetrics.OperationNames.Destroy, SandboxEngineMetrics.Outcomes.Of(e), Stopwatch.GetElapsedTime(started));
            throw;
        }

        await _host.RemoveScratchAsync(sandbox.Id, cancellationToken);
        Observe(SandboxEngineMetrics.OperationNames.Destroy, outcome, Stopwatch.GetElapsedTime(started));
        SandboxLog.Destroyed(_logger, sandbox.Id, EngineName, outcome == SandboxEngineMetrics.Outcomes.Ok ? "removed" : "already gone");
    }

    public async Task<int> CollectLeftoversAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        // Scratch disks are shared by every server on this host, so ownership is the container's existence, not a label.
        var removed = 0;
        foreach (var (sandboxId, createdAt) in await _host.ListScratchAsync(cancellationToken))
        {
            if (DateTimeOffset.UtcNow - createdAt < grace)
            {
                continue;
            }

            try
            {
                await _client.InspectContainerAsync(ContainerName(sandboxId), cancellationToken);
            }
            catch (SandboxEngineException e) when (e.IsNotFound)
            {
                await _host.RemoveScratchAsync(sandboxId, cancellationToken);
                removed++;
            }
        }

        return removed;
    }

    public async Task<IReadOnlyList<SandboxInfo>> ListOwnedAsync(string ownerServerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ownerServerId);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var containers = await _client.ListContainersAsync([SandboxLabels.Marker, $"{SandboxLabels.Owner}={ownerServerId}"], cancellationToken);
            var result = new List<SandboxInfo>();
            foreach (var container in containers.EnumerateArray())
            {
                // The daemon filtered already; this guards against a daemon that ignores a filter.
                if (DockerContainerState.Info(container) is { } info && info.OwnerServerId == ownerServerId)
                {
                    result.Add(info);
                }
            }

            Observe(SandboxEngineMetrics.OperationNames.List, SandboxEngineMetrics.Outcomes.Ok, Stopwatch.GetElapsedTime(started));
            return result;
        }
        catch (Exception e)
        {
            Observe(SandboxEngineMetrics.OperationNames.List, SandboxEngineMetrics.Outcomes.Of(e), Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    private void Observe(string operation, string outcome, TimeSpan elapsed)
    {
        _metrics.Operations.WithLabels(EngineName, operation, outcome).Inc();
        _metrics.Duration.WithLabels(EngineName, operation).Observe(elapsed.TotalSeconds);
    }
}
