using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Polydev.Testing.Nomad;

/// <summary>
/// The client half of every stand-in node: runs each allocation's Docker tasks as real containers the way Nomad's
/// Docker driver configures them (drivers/docker/driver.go, createContainerConfig), watches them, reports task
/// events and states back to the server state, registers native services, and cleans up.
/// </summary>
internal sealed class ClientNodes : IAsyncDisposable
{
    public const string TestLabel = "dev.polydev.test";
    public const string TestLabelValue = "nomad-standin";
    public const string InstanceLabel = "dev.polydev.test.nomad-standin.instance";

    private readonly Cluster _cluster;
    private readonly ConcurrentDictionary<(string Alloc, string Task), TaskRunner> _runners = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<string, Task> _collections = new();

    public ClientNodes(Cluster cluster, DockerApi docker, string dataDirectory, string instance)
    {
        _cluster = cluster;
        Docker = docker;
        DataDirectory = dataDirectory;
        Instance = instance;
    }

    public DockerApi Docker { get; }

    public string DataDirectory { get; }

    public string Instance { get; }

    public string AllocDir(string allocId) => Path.Combine(DataDirectory, "alloc", allocId);

    private sealed class TaskRunner
    {
        public required Allocation Alloc { get; init; }
        public required JsonObject Task { get; init; }
        public string Name => (string)Task["Name"]!;
        public string? ContainerId { get; set; }
        public bool Running { get; set; }
        public bool Killing { get; set; }
        public bool Lost { get; set; }
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The container of a running task, or why there is none (Nomad's exec errors).</summary>
    public (string? ContainerId, int Code, string? Error) ExecTarget(string allocId, string task)
    {
        lock (_cluster.Gate)
        {
            if (!_cluster.AllocTable.TryGetValue(allocId, out var alloc))
            {
                return (null, 404, $"Unknown allocation \"{allocId}\"");
            }

            if (alloc.ClientTerminal)
            {
                return (null, 400, $"exec not possible, client status of allocation {alloc.ID} is {alloc.ClientStatus}");
            }

            if (string.IsNullOrEmpty(task))
            {
                return (null, 400, "missing task name");
            }

            if (!alloc.TaskStates.TryGetValue(task, out var state))
            {
                return (null, 400, $"unknown task name \"{task}\"");
            }

            if (state.StartedAt is null)
            {
                return (null, 404, $"task \"{task}\" not started yet.");
            }

            if (!_runners.TryGetValue((allocId, task), out var runner) || !runner.Running || runner.ContainerId is null)
            {
                return (null, 404, $"task \"{task}\" is not running.");
            }

            return (runner.ContainerId, 0, null);
        }
    }

    public void Start(Allocation alloc)
    {
        foreach (var task in (alloc.Group["Tasks"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var runner = new TaskRunner { Alloc = alloc, Task = task };
            if (_runners.TryAdd((alloc.ID, runner.Name), runner))
            {
                _ = Task.Run(() => RunAsync(runner));
            }
        }
    }

    public void Stop(Allocation alloc)
    {
        foreach (var runner in RunnersOf(alloc))
        {
            _ = Task.Run(() => KillAsync(runner));
        }
    }

    public void Lose(Allocation alloc)
    {
        foreach (var runner in RunnersOf(alloc))
        {
            runner.Lost = true;
            _ = Task.Run(async () =>
            {
                if (runner.ContainerId is { } id)
                {
                    await Docker.KillAsync(id);
                }
            });
        }
    }

    public async Task WaitForLostAsync(IEnumerable<Allocation> allocs)
    {
        var waits = allocs.SelectMany(RunnersOf).Select(r => r.Done.Task).ToList();
        await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>The allocation's directory and any container left: gone (Nomad's client GC of one allocation).</summary>
    public void Collect(Allocation alloc) => _collections[alloc.ID] = Task.Run(() => CollectAsync(alloc));

    /// <summary>
    /// Waits for the collection of these allocations where it has begun: a test looks for leftovers once Nomad's own GC
    /// would have run, not in the moment between a purge and the client's clean-up.
    /// </summary>
    public async Task CollectedAsync(IEnumerable<string> allocIds)
    {
        foreach (var id in allocIds)
        {
            if (_collections.TryGetValue(id, out var collection))
            {
                try
                {
                    await collection.WaitAsync(TimeSpan.FromSeconds(60));
                }
                catch (Exception e) when (e is TimeoutException or IOException or HttpRequestException or InvalidOperationException)
                {
                    // What the collection failed to remove is reported as left over.
                }
            }
        }
    }

    public async Task CollectAsync(Allocation alloc)
    {
        foreach (var runner in RunnersOf(alloc))
        {
            await runner.Done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }

        foreach (var container in await Docker.ListAsync($"com.hashicorp.nomad.alloc_id={alloc.ID}", $"{InstanceLabel}={Instance}"))
        {
            await Docker.RemoveAsync((string)container["Id"]!);
        }

        TryDelete(AllocDir(alloc.ID));
    }

    private IEnumerable<TaskRunner> RunnersOf(Allocation alloc) =>
        _runners.Values.Where(r => r.Alloc == alloc).ToList();

    /// <summary>Under the gate: a client update of the allocation, committed and published, with what follows from it.</summary>
    private void Report(Allocation alloc, Action<Allocation> change)
    {
        var effects = new Effects();
        lock (_cluster.Gate)
        {
            var wasTerminal = alloc.ClientTerminal;
            change(alloc);
            if (alloc.ClientStatus == "lost")
            {
                return;
            }

            var states = alloc.TaskStates.Values.ToList();
            if (states.All(s => s.State == "dead"))
            {
                var failed = states.Any(s => s.Failed);
                alloc.ClientStatus = failed ? "failed" : "complete";
                alloc.ClientDescription = failed ? "Failed tasks" : "All tasks have completed";
            }
            else if (states.Any(s => s.State == "running"))
            {
                alloc.ClientStatus = "running";
                alloc.ClientDescription = "Tasks are running";
            }

            var index = _cluster.Commit(Cluster.Allocs, Cluster.Summaries);
            _cluster.Touch(alloc, index);
            if (!wasTerminal && alloc.ClientTerminal)
            {
                _cluster.RemoveServicesLocked(s => s.AllocID == alloc.ID, index);
                _cluster.UnblockLocked(effects);
                if (alloc.Node.Drain)
                {
                    _cluster.DrainStepLocked(alloc.Node, index, effects);
                }

                if (alloc.ClientStatus == "failed" && alloc.DesiredStatus == "run" && _cluster.JobTable.ContainsValue(alloc.Job))
                {
                    var job = alloc.Job;
                    var delay = TimeSpan.FromTicks(((long?)alloc.Group["ReschedulePolicy"]?["Delay"] ?? (job.Type == "batch" ? 5_000_000_000 : 30_000_000_000)) / 100);
                    _ = Task.Delay(delay).ContinueWith(_ =>
                    {
                        var later = new Effects();
                        lock (_cluster.Gate)
                        {
                            var i = _cluster.Commit(Cluster.Evals);
                            var eval = _cluster.NewEval(job.Namespace, job.ID, job.Type, "alloc-failure", 50, job.JobModifyIndex, later);
                            eval.CreateIndex = i;
                            eval.ModifyIndex = i;
                            _cluster.PublishEval(eval);
                        }

                        _cluster.Apply(later);
                    }, TaskScheduler.Default);
                }
            }

            _cluster.RefreshJob(alloc.Job, index);
        }

        _cluster.Apply(effects);
    }

    private void Event(TaskRunner runner, JsonObject e, Action<TaskState>? change = null) =>
        Report(runner.Alloc, a =>
        {
            var state = a.TaskStates[runner.Name];
            state.Events.Add(e);
            change?.Invoke(state);
        });

    private async Task RunAsync(TaskRunner runner)
    {
        try
        {
            await RunCoreAsync(runner);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (!runner.Lost)
            {
                Fail(runner, $"stand-in error: {e.Message}");
            }
        }
        finally
        {
            runner.Running = false;
            runner.Done.TrySetResult();
        }
    }

    private async Task RunCoreAsync(TaskRunner runner)
    {
        var alloc = runner.Alloc;
        Event(runner, TaskState.Event("Received", "Task received by client"));
        var dir = AllocDir(alloc.ID);
        Directory.CreateDirectory(Path.Combine(dir, "alloc", "data"));
        Directory.CreateDirectory(Path.Combine(dir, "alloc", "logs"));
        Directory.CreateDirectory(Path.Combine(dir, "alloc", "tmp"));
        Directory.CreateDirectory(Path.Combine(dir, runner.Name, "local"));
        Directory.CreateDirectory(Path.Combine(dir, runner.Name, "secrets"));
        Directory.CreateDirectory(Path.Combine(dir, runner.Name, "tmp"));
        foreach (var d in new[] { Path.Combine(dir, "alloc"), Path.Combine(dir, "alloc", "data"), Path.Combine(dir, "alloc", "logs"), Path.Combine(dir, "alloc", "tmp"), Path.Combine(dir, runner.Name, "local"), Path.Combine(dir, runner.Name, "tmp") })
        {
            NomadTime.Chmod(d, (UnixFileMode)Convert.ToInt32("777", 8));
        }

        NomadTime.Chmod(Path.Combine(dir, runner.Name, "secrets"), (UnixFileMode)Convert.ToInt32("777", 8));
        Event(runner, TaskState.Event("Task Setup", "Building Task Directory", new Dictionary<string, string> { ["message"] = "Building Task Directory" }, e => e["Message"] = "Building Task Directory"));

        if (runner.Killing || runner.Lost || alloc.DesiredStatus != "run")
        {
            Finish(runner, exitCode: null, oom: false, killed: true);
            return;
        }

        var config = runner.Task["Config"] as JsonObject ?? [];
        var image = (string?)config["image"] ?? "";
        if ((string?)runner.Task["Driver"] != "docker")
        {
            Fail(runner, $"stand-in runs only the docker driver, not \"{(string?)runner.Task["Driver"]}\"");
            return;
        }

        var imageInspect = await Docker.ImageExistsAsync(image);
        if (!imageInspect)
        {
            Fail(runner, $"Failed to pull `{image}`: Error response from daemon: No such image: {image} (the stand-in never pulls; node {alloc.Node.Name})");
            return;
        }

        JsonObject body;
        try
        {
            body = ContainerConfig.Build(_cluster, alloc, runner.Task, AllocDir(alloc.ID), Instance);
        }
        catch (ContainerConfig.RefusedException e)
        {
            Fail(runner, $"Failed to create container configuration for image \"{image}\": {e.Message}");
            return;
        }

        var name = $"{runner.Name}-{alloc.ID}";
        var created = await Docker.CreateAsync(name, body);
        if (!created.Ok)
        {
            Fail(runner, $"failed to create container: {created.Message}");
            return;
        }

        var id = (string)JsonNode.Parse(created.Body)!["Id"]!;
        runner.ContainerId = id;
        if (runner.Killing || runner.Lost)
        {
            await Docker.RemoveAsync(id);
            Finish(runner, exitCode: null, oom: false, killed: true);
            return;
        }

        var started = await Docker.StartAsync(id);
        if (!started.Ok)
        {
            await Docker.RemoveAsync(id);
            Fail(runner, $"Failed to start container {id}: API error ({(int)started.Status}): {started.Message}");
            return;
        }

        var inspect = await Docker.InspectAsync(id);
        var address = DriverAddress(inspect, (string?)config["network_mode"]);
        runner.Running = true;
        Report(alloc, a =>
        {
            var state = a.TaskStates[runner.Name];
            state.Events.Add(TaskState.Event("Started", "Task started by client"));
            state.State = "running";
            state.StartedAt = DateTimeOffset.UtcNow;
            a.NetworkAddress ??= address;
        });
        RegisterServices(runner, address);

        if (runner.Killing)
        {
            await StopContainerAsync(runner);
        }

        long? exit;
        try
        {
            exit = await Docker.WaitAsync(id, _shutdown.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        runner.Running = false;
        var after = await Docker.InspectAsync(id);
        var oom = (bool?)after?["State"]?["OOMKilled"] ?? false;
        exit ??= (long?)after?["State"]?["ExitCode"] ?? -1;
        if (!runner.Lost)
        {
            Finish(runner, (int)exit, oom, runner.Killing);
        }

        if (_cluster.Options.GcContainers || runner.Lost)
        {
            await Docker.RemoveAsync(id);
        }

        if (alloc.JobPurged)
        {
            TryDelete(AllocDir(alloc.ID));
        }
    }

    private static string? DriverAddress(JsonNode? inspect, string? networkMode)
    {
        var networks = inspect?["NetworkSettings"]?["Networks"] as JsonObject;
        if (networks is null || networkMode is "none" or "host")
        {
            return null;
        }

        var key = string.IsNullOrEmpty(networkMode) || networkMode == "default" ? "bridge" : networkMode;
        var ip = (string?)networks[key]?["IPAddress"];
        return string.IsNullOrEmpty(ip) ? null : ip;
    }

    private void RegisterServices(TaskRunner runner, string? driverAddress)
    {
        var alloc = runner.Alloc;
        var services = new List<(JsonObject Service, string Prefix)>();
        if (runner.Task == (alloc.Group["Tasks"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault())
        {
            services.AddRange((alloc.Group["Services"] as JsonArray ?? []).OfType<JsonObject>().Select(s => (s, "group-" + alloc.TaskGroup)));
        }

        services.AddRange((runner.Task["Services"] as JsonArray ?? []).OfType<JsonObject>().Select(s => (s, runner.Name)));
        services.RemoveAll(s => ((string?)s.Service["Provider"] ?? "consul") != "nomad");
        if (services.Count == 0)
        {
            return;
        }

        lock (_cluster.Gate)
        {
            if (alloc.ClientTerminal || alloc.DesiredStatus != "run")
            {
                return;
            }

            var index = _cluster.Commit(Cluster.Services);
            foreach (var (spec, prefix) in services)
            {
                var name = Interpolate((string?)spec["Name"] ?? "", alloc, runner.Name);
                var portLabel = (string?)spec["PortLabel"] ?? "";
                var mode = (string?)spec["AddressMode"] ?? "auto";
                var service = new Service
                {
                    ID = $"_nomad-task-{alloc.ID}-{prefix}-{name}-{portLabel}",
                    ServiceName = name,
                    Namespace = alloc.Namespace,
                    NodeID = alloc.Node.ID,
                    Datacenter = alloc.Node.Options.Datacenter,
                    JobID = alloc.Job.ID,
                    AllocID = alloc.ID,
                    Tags = [.. (spec["Tags"] as JsonArray ?? []).Select(t => (string?)t ?? "")],
                    Address = mode == "driver" ? driverAddress ?? "" : "127.0.0.1",
                    Port = int.TryParse(portLabel, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) ? port : 0,
                    CreateIndex = index,
                    ModifyIndex = index,
                };
                _cluster.ServiceTable[service.ID] = service;
                _cluster.Publish("Service", "ServiceRegistration", service.ServiceName, service.Namespace, [service.AllocID, service.JobID],
                    new JsonObject { ["Service"] = service.Json() });
            }
        }
    }

    private static string Interpolate(string text, Allocation alloc, string task) => text
        .Replace("${NOMAD_JOB_NAME}", alloc.Job.Name, StringComparison.Ordinal)
        .Replace("${NOMAD_JOB_ID}", alloc.Job.ID, StringComparison.Ordinal)
        .Replace("${NOMAD_TASK_NAME}", task, StringComparison.Ordinal)
        .Replace("${NOMAD_GROUP_NAME}", alloc.TaskGroup, StringComparison.Ordinal)
        .Replace("${NOMAD_ALLOC_ID}", alloc.ID, StringComparison.Ordinal)
        .Replace("${JOB}", alloc.Job.Name, StringComparison.Ordinal)
        .Replace("${TASK}", task, StringComparison.Ordinal)
        .Replace("${TASKGROUP}", alloc.TaskGroup, StringComparison.Ordinal);

    private async Task KillAsync(TaskRunner runner)
    {
        if (runner.Killing)
        {
            return;
        }

        runner.Killing = true;
        if (runner.ContainerId is not null && runner.Running)
        {
            await StopContainerAsync(runner);
        }
    }

    private async Task StopContainerAsync(TaskRunner runner)
    {
        var timeout = TimeSpan.FromTicks(((long?)runner.Task["KillTimeout"] ?? 5_000_000_000) / 100);
        Event(runner, TaskState.Event("Killing", $"Sent interrupt. Waiting {GoDuration(timeout)} before force killing",
            new Dictionary<string, string> { ["kill_timeout"] = GoDuration(timeout) }, e => e["KillTimeout"] = timeout.Ticks * 100));
        var signal = (string?)runner.Task["KillSignal"];
        await Docker.StopAsync(runner.ContainerId!, (int)Math.Ceiling(timeout.TotalSeconds), string.IsNullOrEmpty(signal) ? null : signal);
    }

    /// <summary>Go's <c>time.Duration.String()</c> for whole and fractional seconds.</summary>
    public static string GoDuration(TimeSpan d)
    {
        if (d == TimeSpan.Zero)
        {
            return "0s";
        }

        var text = "";
        if (d.TotalHours >= 1)
        {
            text += $"{(int)d.TotalHours}h";
            d -= TimeSpan.FromHours((int)d.TotalHours);
            text += $"{d.Minutes}m";
            d -= TimeSpan.FromMinutes(d.Minutes);
        }
        else if (d.TotalMinutes >= 1)
        {
            text += $"{(int)d.TotalMinutes}m";
            d -= TimeSpan.FromMinutes((int)d.TotalMinutes);
        }

        return text + d.TotalSeconds.ToString("0.#########", CultureInfo.InvariantCulture) + "s";
    }

    private void Fail(TaskRunner runner, string driverError) =>
        Report(runner.Alloc, a =>
        {
            var state = a.TaskStates[runner.Name];
            state.Events.Add(TaskState.Event("Driver Failure", driverError, new Dictionary<string, string> { ["driver_error"] = driverError, ["fails_task"] = "true" },
                e =>
                {
                    e["DriverError"] = driverError;
                    e["FailsTask"] = true;
                }));
            state.Events.Add(TaskState.Event("Not Restarting", "Error was unrecoverable",
                new Dictionary<string, string> { ["restart_reason"] = "Error was unrecoverable", ["fails_task"] = "true" },
                e =>
                {
                    e["RestartReason"] = "Error was unrecoverable";
                    e["FailsTask"] = true;
                }));
            state.State = "dead";
            state.Failed = true;
            state.FinishedAt = DateTimeOffset.UtcNow;
        });

    private void Finish(TaskRunner runner, int? exitCode, bool oom, bool killed) =>
        Report(runner.Alloc, a =>
        {
            var state = a.TaskStates[runner.Name];
            if (exitCode is { } code)
            {
                var message = oom ? "OOM Killed" : code != 0 ? $"Docker container exited with non-zero exit code: {code}" : "";
                var details = new Dictionary<string, string> { ["exit_code"] = code.ToString(CultureInfo.InvariantCulture), ["signal"] = "0", ["oom_killed"] = oom ? "true" : "false" };
                if (message != "")
                {
                    details["exit_message"] = message;
                }

                var display = $"Exit Code: {code}" + (message != "" ? $", Exit Message: \"{message}\"" : "");
                state.Events.Add(TaskState.Event("Terminated", display, details, e =>
                {
                    e["ExitCode"] = code;
                    e["Message"] = message;
                }));
            }

            if (killed)
            {
                state.Events.Add(TaskState.Event("Killed", "Task successfully killed"));
            }

            var failed = !killed && exitCode is not 0;
            if (failed)
            {
                var restart = a.Group["RestartPolicy"] as JsonObject;
                var interval = TimeSpan.FromTicks(((long?)restart?["Interval"] ?? 86_400_000_000_000) / 100);
                var reason = $"Exceeded allowed attempts {(int?)restart?["Attempts"] ?? 0} in interval {GoDuration(interval)} and mode is \"{(string?)restart?["Mode"] ?? "fail"}\"";
                state.Events.Add(TaskState.Event("Not Restarting", reason, new Dictionary<string, string> { ["restart_reason"] = reason, ["fails_task"] = "true" },
                    e =>
                    {
                        e["RestartReason"] = reason;
                        e["FailsTask"] = true;
                    }));
            }

            state.State = "dead";
            state.Failed = failed;
            state.FinishedAt = DateTimeOffset.UtcNow;
        });

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Every runner stops reporting and removes what it is still creating; those waiting on Docker are released.
        foreach (var runner in _runners.Values)
        {
            runner.Lost = true;
        }

        await _shutdown.CancelAsync();
        try
        {
            await Task.WhenAll(_runners.Values.Select(r => r.Done.Task)).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
        }

        try
        {
            foreach (var container in await Docker.ListAsync($"{InstanceLabel}={Instance}"))
            {
                await Docker.RemoveAsync((string)container["Id"]!);
            }
        }
        catch (HttpRequestException)
        {
        }

        _shutdown.Dispose();
    }
}
