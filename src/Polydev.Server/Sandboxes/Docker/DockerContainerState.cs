using System.Globalization;
using System.Text.Json;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>A container's state in engine-independent terms, and what the kernel says about its OOM kills.</summary>
internal static class DockerContainerState
{
    /// <summary>
    /// A sandbox's status from <c>GET /containers/{id}/json</c>, with the OOM kills the kernel counted in its memory
    /// cgroup (<see cref="CgroupOomKills"/>, read on the host by whoever may: <see cref="HostOperations.IDockerHostOperations"/>).
    /// </summary>
    public static SandboxStatus Status(JsonElement container, long cgroupOomKills)
    {
        var state = container.GetProperty("State");
        var engineState = Map(state.GetProperty("Status").GetString());
        DateTimeOffset? startedAt = DateTimeOffset.TryParse(state.GetProperty("StartedAt").GetString(), CultureInfo.InvariantCulture, out var at) && at.Year > 1 ? at : null;
        var oomKilled = OomKilledByDocker(container) || cgroupOomKills > 0;
        return new SandboxStatus(
            engineState,
            oomKilled,
            engineState is SandboxEngineState.Exited or SandboxEngineState.Dead ? state.GetProperty("ExitCode").GetInt32() : null,
            startedAt);
    }

    /// <summary>Docker's own OOM mark (containerd's event; see <see cref="CgroupOomKills"/> for why it is not enough).</summary>
    public static bool OomKilledByDocker(JsonElement container) => container.GetProperty("State").GetProperty("OOMKilled").GetBoolean();

    /// <summary>The pid of the container's init on the host; 0 when it is not running.</summary>
    public static int Pid(JsonElement container) => container.GetProperty("State").GetProperty("Pid").GetInt32();

    /// <summary>The container's address on <paramref name="network"/> (IPv4, else IPv6), or null when it has none there.</summary>
    public static System.Net.IPAddress? Address(JsonElement container, string network)
    {
        if (!container.TryGetProperty("NetworkSettings", out var settings)
            || !settings.TryGetProperty("Networks", out var networks)
            || !networks.TryGetProperty(network, out var endpoint))
        {
            return null;
        }

        foreach (var field in new[] { "IPAddress", "GlobalIPv6Address" })
        {
            if (endpoint.TryGetProperty(field, out var value) && System.Net.IPAddress.TryParse(value.GetString(), out var address))
            {
                return address;
            }
        }

        return null;
    }

    /// <summary>A sandbox as an entry of <c>GET /containers/json</c> describes it, or null for a container without an owner label.</summary>
    public static SandboxInfo? Info(JsonElement container)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var label in container.GetProperty("Labels").EnumerateObject())
        {
            labels[label.Name] = label.Value.GetString() ?? "";
        }

        if (!labels.TryGetValue(SandboxLabels.Owner, out var owner))
        {
            return null;
        }

        var name = container.GetProperty("Names").EnumerateArray().Select(n => n.GetString()!.TrimStart('/')).FirstOrDefault() ?? "";
        return new SandboxInfo(
            new SandboxHandle(labels.GetValueOrDefault(SandboxLabels.Id, ""), container.GetProperty("Id").GetString()!, name),
            labels.GetValueOrDefault(SandboxLabels.Runtime, ""),
            labels.GetValueOrDefault(SandboxLabels.ImageVersion, ""),
            owner,
            Map(container.GetProperty("State").GetString()),
            DateTimeOffset.FromUnixTimeSeconds(container.GetProperty("Created").GetInt64()),
            labels);
    }

    /// <summary>
    /// OOM kills counted by the kernel in the memory cgroup of a running container's init process
    /// (<c>oom_kill</c> in v1 <c>memory.oom_control</c> or v2 <c>memory.events</c>). Docker's own
    /// <c>State.OOMKilled</c> depends on containerd receiving the kernel's OOM event, which some kernels
    /// (nested or sandboxed cgroups, as on this project's CI machines) never deliver, and it only
    /// covers the main process, not an exec'd one. 0 when the cgroup cannot be read (the server in
    /// another pid namespace than the daemon).
    /// </summary>
    public static long CgroupOomKills(int pid)
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

    public static SandboxEngineState Map(string? status) => status switch
    {
        "created" => SandboxEngineState.Created,
        "running" => SandboxEngineState.Running,
        "paused" => SandboxEngineState.Paused,
        "restarting" or "removing" => SandboxEngineState.Transitioning,
        "exited" => SandboxEngineState.Exited,
        _ => SandboxEngineState.Dead,
    };

}
