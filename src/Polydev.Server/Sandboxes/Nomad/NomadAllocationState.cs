using System.Globalization;
using System.Text.Json;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// Nomad's allocations read as sandbox states. A sandbox is its job's first allocation: a replacement Nomad places
/// after a lost node or a drain is a fresh container nobody holds, so it never stands in for the sandbox.
/// </summary>
internal static class NomadAllocationState
{
    /// <summary>The sandbox's allocation among its job's (the earliest created), or null while none is placed.</summary>
    public static JsonElement? Sandbox(JsonElement allocations)
    {
        JsonElement? first = null;
        foreach (var allocation in allocations.EnumerateArray())
        {
            if (first is null || Long(allocation, "CreateIndex") < Long(first.Value, "CreateIndex"))
            {
                first = allocation;
            }
        }

        return first;
    }

    /// <summary>The task's state, or null while the allocation has not reported one.</summary>
    public static JsonElement? Task(JsonElement allocation) =>
        allocation.TryGetProperty("TaskStates", out var states) && states.ValueKind == JsonValueKind.Object && states.TryGetProperty(NomadJobSpec.TaskName, out var task)
            ? task
            : null;

    /// <summary>Whether the task has started (it may have ended since).</summary>
    public static bool Started(JsonElement allocation) => StartedAt(allocation) is not null;

    /// <summary>The first event that says the driver could not start the task, with Nomad's words for it.</summary>
    public static string? DriverFailure(JsonElement allocation)
    {
        if (Task(allocation) is not { } task || !task.TryGetProperty("Events", out var events) || events.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var e in events.EnumerateArray())
        {
            var type = String(e, "Type");
            if (type is "Driver Failure" or "Setup Failure" or "Failed Validation")
            {
                return String(e, "DisplayMessage") ?? String(e, "DriverError") ?? String(e, "Message") ?? type;
            }
        }

        return null;
    }

    /// <summary>The sandbox's status from its allocation (<paramref name="nodeDown"/>: Nomad reports its node down).</summary>
    public static SandboxStatus Status(JsonElement allocation, bool nodeDown)
    {
        var client = String(allocation, "ClientStatus");
        var desired = String(allocation, "DesiredStatus");
        var task = Task(allocation);
        var taskState = task is { } t ? String(t, "State") : null;
        var started = StartedAt(allocation);
        if (client is "lost" or "unknown" || (nodeDown && client is "running" or "pending"))
        {
            return new SandboxStatus(SandboxEngineState.Dead, false, null, started, NodeLost: true);
        }

        if (client is "complete" or "failed" || taskState == "dead")
        {
            var (exit, oom) = Termination(task);
            return new SandboxStatus(SandboxEngineState.Exited, oom, exit ?? (DriverFailure(allocation) is not null ? 127 : null), started);
        }

        if (desired is "stop" or "evict")
        {
            return new SandboxStatus(SandboxEngineState.Transitioning, false, null, started);
        }

        return client == "running" && taskState == "running"
            ? new SandboxStatus(SandboxEngineState.Running, false, null, started)
            : new SandboxStatus(SandboxEngineState.Created, false, null, started);
    }

    /// <summary>The main process's exit code and OOM kill, from the task's <c>Terminated</c> event.</summary>
    private static (int? ExitCode, bool OomKilled) Termination(JsonElement? task)
    {
        if (task is not { } t || !t.TryGetProperty("Events", out var events) || events.ValueKind != JsonValueKind.Array)
        {
            return (null, false);
        }

        foreach (var e in events.EnumerateArray().Reverse())
        {
            if (String(e, "Type") != "Terminated")
            {
                continue;
            }

            var details = e.TryGetProperty("Details", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
            string? Detail(string key) => details.ValueKind == JsonValueKind.Object && details.TryGetProperty(key, out var v) ? v.GetString() : null;
            var exit = e.TryGetProperty("ExitCode", out var code) && code.ValueKind == JsonValueKind.Number ? code.GetInt32()
                : int.TryParse(Detail("exit_code"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : (int?)null;
            var signal = e.TryGetProperty("Signal", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : 0;
            if (exit is null or 0 && signal > 0)
            {
                exit = 128 + signal;
            }

            return (exit, string.Equals(Detail("oom_killed"), "true", StringComparison.OrdinalIgnoreCase));
        }

        return (null, false);
    }

    public static DateTimeOffset? StartedAt(JsonElement allocation) =>
        Task(allocation) is { } task && task.TryGetProperty("StartedAt", out var at) && at.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var started)
            && started.Year > 1
            ? started
            : null;

    /// <summary>A Nomad time (Unix nanoseconds).</summary>
    public static DateTimeOffset FromNanoseconds(long nanoseconds) => DateTimeOffset.UnixEpoch.AddTicks(nanoseconds / 100);

    public static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static long Long(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;
}
