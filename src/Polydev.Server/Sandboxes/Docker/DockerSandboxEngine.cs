using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

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
    private readonly DockerScratch _scratch;

    public DockerSandboxEngine(DockerClient client, SandboxEngineMetrics metrics, ILogger<DockerSandboxEngine> logger, DockerScratch? scratch = null)
    {
        _client = client;
        _metrics = metrics;
        _logger = logger;
        _scratch = scratch ?? new DockerScratch(DockerScratch.DefaultRoot);
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
            var scratch = await _scratch.CreateAsync(spec.Id, spec.Limits.ScratchBytes, uid, gid, cancellationToken);
            var body = CreateBody(spec, scratch);
            var name = ContainerName(spec.Id);
            containerId = await _client.CreateContainerAsync(name, body, cancellationToken);
            await _client.StartContainerAsync(containerId, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            Observe(SandboxEngineMetrics.OperationNames.Create, SandboxEngineMetrics.Outcomes.Ok, elapsed);
            SandboxLog.Created(_logger, spec.Id, spec.Provider, spec.Image, spec.ImageVersion, EngineName, containerId[..12], elapsed.TotalMilliseconds,
                spec.Limits.User, spec.Limits.MemoryBytes, spec.Limits.Cpus, spec.Limits.PidsLimit, spec.Network.Name ?? "none");
            return new SandboxHandle(spec.Id, containerId, name);
        }
        catch (Exception e)
        {
            Observe(SandboxEngineMetrics.OperationNames.Create, SandboxEngineMetrics.Outcomes.Of(e), Stopwatch.GetElapsedTime(started));
            SandboxLog.CreateFailed(_logger, spec.Id, spec.Provider, spec.Image, EngineName, e.Message);
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
            await _scratch.RemoveAsync(sandboxId, CancellationToken.None);
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
            var body = new JsonObject
            {
                ["AttachStdin"] = true,
                ["AttachStdout"] = true,
                ["AttachStderr"] = true,
                ["Tty"] = false,
                ["Privileged"] = false,
                ["Cmd"] = Strings(command.Arguments),
                ["Env"] = Strings(command.Environment.Select(p => $"{p.Key}={p.Value}")),
            };
            if (command.WorkingDirectory is not null)
            {
                body["WorkingDir"] = command.WorkingDirectory;
            }

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

    public async Task<string?> ResolveImageVersionAsync(string image, CancellationToken cancellationToken = default)
    {
        if (await _client.InspectImageAsync(image, cancellationToken) is not { } inspected)
        {
            return null;
        }

        // An image without the label (a hand-made one) is served under its content id, so a rebuild still shows as a new version.
        return inspected.Labels.TryGetValue(SandboxLabels.ImageVersion, out var version) && version.Length > 0
            ? version
            : inspected.Id.Replace("sha256:", "", StringComparison.Ordinal)[..12];
    }

    public async Task<SandboxStatus?> InspectAsync(SandboxHandle sandbox, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var container = await _client.InspectContainerAsync(sandbox.EngineId, cancellationToken);
            Observe(SandboxEngineMetrics.OperationNames.Inspect, SandboxEngineMetrics.Outcomes.Ok, Stopwatch.GetElapsedTime(started));
            var state = container.GetProperty("State");
            var engineState = MapState(state.GetProperty("Status").GetString());
            DateTimeOffset? startedAt = DateTimeOffset.TryParse(state.GetProperty("StartedAt").GetString(), CultureInfo.InvariantCulture, out var at) && at.Year > 1 ? at : null;
            var oomKilled = state.GetProperty("OOMKilled").GetBoolean() || CgroupOomKills(state.GetProperty("Pid").GetInt32()) > 0;
            return new SandboxStatus(
                engineState,
                oomKilled,
                engineState is SandboxEngineState.Exited or SandboxEngineState.Dead ? state.GetProperty("ExitCode").GetInt32() : null,
                startedAt);
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

        await _scratch.RemoveAsync(sandbox.Id, cancellationToken);
        Observe(SandboxEngineMetrics.OperationNames.Destroy, outcome, Stopwatch.GetElapsedTime(started));
        SandboxLog.Destroyed(_logger, sandbox.Id, EngineName, outcome == SandboxEngineMetrics.Outcomes.Ok ? "removed" : "already gone");
    }

    public async Task<int> CollectLeftoversAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        // Scratch disks are shared by every server on this host, so ownership is the container's existence, not a label.
        var removed = 0;
        foreach (var (sandboxId, createdAt) in _scratch.List())
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
                await _scratch.RemoveAsync(sandboxId, cancellationToken);
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
                var labels = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var label in container.GetProperty("Labels").EnumerateObject())
                {
                    labels[label.Name] = label.Value.GetString() ?? "";
                }

                // The daemon filtered already; this guards against a daemon that ignores a filter.
                if (!labels.TryGetValue(SandboxLabels.Owner, out var owner) || owner != ownerServerId)
                {
                    continue;
                }

                var name = container.GetProperty("Names").EnumerateArray().Select(n => n.GetString()!.TrimStart('/')).FirstOrDefault() ?? "";
                result.Add(new SandboxInfo(
                    new SandboxHandle(labels.GetValueOrDefault(SandboxLabels.Id, ""), container.GetProperty("Id").GetString()!, name),
                    labels.GetValueOrDefault(SandboxLabels.Provider, ""),
                    labels.GetValueOrDefault(SandboxLabels.ImageVersion, ""),
                    owner,
                    MapState(container.GetProperty("State").GetString()),
                    DateTimeOffset.FromUnixTimeSeconds(container.GetProperty("Created").GetInt64()),
                    labels));
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

    /// <summary>The <c>/containers/create</c> body for a spec: every rule of <see cref="SandboxLimits"/> applied. Throws for a spec that would weaken one.</summary>
    internal static JsonObject CreateBody(SandboxSpec spec, string scratchHostPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec.Image);
        ArgumentException.ThrowIfNullOrWhiteSpace(spec.Provider);
        ArgumentException.ThrowIfNullOrWhiteSpace(spec.ImageVersion);
        ArgumentException.ThrowIfNullOrWhiteSpace(spec.OwnerServerId);
        var limits = spec.Limits;
        var (uid, gid) = limits.ParseUser();
        if (!limits.ReadOnlyRoot || !limits.NoNewPrivileges)
        {
            throw new ArgumentException("Sandboxes always have a read-only root and no-new-privileges.");
        }

        if (limits.Capabilities.Count > 0)
        {
            throw new ArgumentException("Sandboxes keep no capabilities.");
        }

        if (limits.MemoryBytes < 6 << 20 || limits.Cpus <= 0 || limits.PidsLimit <= 0 || limits.ScratchBytes <= 0)
        {
            throw new ArgumentException("Sandbox memory (at least 6 MB), CPUs, pids and scratch limits must all be set.");
        }

        var labels = new JsonObject
        {
            [SandboxLabels.Marker] = SandboxLabels.SchemaVersion,
            [SandboxLabels.Id] = spec.Id,
            [SandboxLabels.Owner] = spec.OwnerServerId,
            [SandboxLabels.Provider] = spec.Provider,
            [SandboxLabels.ImageVersion] = spec.ImageVersion,
            [SandboxLabels.State] = "warming",
        };

        var scratch = limits.ScratchBytes.ToString(CultureInfo.InvariantCulture);
        var hostConfig = new JsonObject
        {
            ["ReadonlyRootfs"] = true,
            // The home stays in memory (credential files never touch a disk); scratch is a disk of its own (DockerScratch).
            ["Tmpfs"] = new JsonObject
            {
                [limits.HomePath] = $"rw,nosuid,nodev,size={scratch},uid={uid},gid={gid},mode=0700",
            },
            ["Mounts"] = new JsonArray(new JsonObject
            {
                ["Type"] = "bind",
                ["Source"] = scratchHostPath,
                ["Target"] = limits.ScratchPath,
                ["ReadOnly"] = false,
                ["BindOptions"] = new JsonObject { ["Propagation"] = "rprivate" },
            }),
            ["CapDrop"] = Strings(["ALL"]),
            ["SecurityOpt"] = Strings(["no-new-privileges:true"]),
            ["PidsLimit"] = limits.PidsLimit,
            ["Memory"] = limits.MemoryBytes,
            ["MemorySwap"] = limits.MemoryBytes,
            ["NanoCpus"] = (long)Math.Round(limits.Cpus * 1e9),
            ["Privileged"] = false,
            ["IpcMode"] = "private",
            ["ShmSize"] = 16L << 20,
            ["NetworkMode"] = spec.Network.Name ?? "none",
            ["RestartPolicy"] = new JsonObject { ["Name"] = "no" },
            // What the main process prints stays out of the daemon's logs (docker logs): it may be a user's data.
            ["LogConfig"] = new JsonObject { ["Type"] = "none", ["Config"] = new JsonObject() },
            ["AutoRemove"] = false,
            ["Init"] = true,
        };

        var body = new JsonObject
        {
            ["Image"] = spec.Image,
            ["User"] = limits.User,
            ["WorkingDir"] = limits.HomePath,
            ["Env"] = Strings(spec.Environment.Select(p => $"{p.Key}={p.Value}").Append($"HOME={limits.HomePath}")),
            ["Labels"] = labels,
            ["AttachStdin"] = false,
            ["AttachStdout"] = false,
            ["AttachStderr"] = false,
            ["Tty"] = false,
            ["OpenStdin"] = false,
            ["NetworkDisabled"] = spec.Network.Name is null,
            ["HostConfig"] = hostConfig,
        };
        if (spec.Command is not null)
        {
            body["Cmd"] = Strings(spec.Command);
        }

        return body;
    }

    /// <summary>
    /// OOM kills counted by the kernel in the memory cgroup of a running container's init process
    /// (<c>oom_kill</c> in v1 <c>memory.oom_control</c> or v2 <c>memory.events</c>). Docker's own
    /// <c>State.OOMKilled</c> depends on containerd receiving the kernel's OOM event, which some kernels
    /// (nested or sandboxed cgroups, as on this project's CI machines) never deliver, and it only
    /// covers the main process, not an exec'd one. 0 when the cgroup cannot be read (the server in
    /// another pid namespace than the daemon).
    /// </summary>
    internal static long CgroupOomKills(int pid)
    {
        if (pid <= 0)
        {
            return 0;
        }

        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/cgroup"))
            {
                // "4:memory:/docker/<id>" (v1) or "0::/system.slice/docker-<id>.scope" (v2).
                var parts = line.Split(':', 3);
                if (parts.Length != 3)
                {
                    continue;
                }

                var file = parts[1].Split(',').Contains("memory") ? $"/sys/fs/cgroup/memory{parts[2]}/memory.oom_control"
                    : parts[1].Length == 0 ? $"/sys/fs/cgroup{parts[2]}/memory.events"
                    : null;
                if (file is null || !File.Exists(file))
                {
                    continue;
                }

                foreach (var entry in File.ReadLines(file))
                {
                    if (entry.StartsWith("oom_kill ", StringComparison.Ordinal))
                    {
                        return long.Parse(entry.AsSpan(9), CultureInfo.InvariantCulture);
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return 0;
    }

    private static SandboxEngineState MapState(string? status) => status switch
    {
        "created" => SandboxEngineState.Created,
        "running" => SandboxEngineState.Running,
        "paused" => SandboxEngineState.Paused,
        "restarting" or "removing" => SandboxEngineState.Transitioning,
        "exited" => SandboxEngineState.Exited,
        _ => SandboxEngineState.Dead,
    };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private void Observe(string operation, string outcome, TimeSpan elapsed)
    {
        _metrics.Operations.WithLabels(EngineName, operation, outcome).Inc();
        _metrics.Duration.WithLabels(EngineName, operation).Observe(elapsed.TotalSeconds);
    }
}
