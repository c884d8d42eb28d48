using System.Globalization;
using System.Text.Json.Nodes;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>A <see cref="SandboxSpec"/> as the Engine API's <c>/containers/create</c> body: each rule of <see cref="SandboxLimits"/> on its <c>HostConfig</c> field (docs/sandboxes.md has the table).</summary>
internal static class DockerContainerSpec
{
    /// <summary>The <c>/containers/create</c> body for a spec: every rule of <see cref="SandboxLimits"/> applied. Throws for a spec that would weaken one.</summary>
    /// <param name="cpuPeriodMicroseconds">The CFS period the CPU limit is a quota of (<see cref="DockerCpuBurst"/>).</param>
    /// <summary>The <c>/containers/{id}/exec</c> body of a command: attached, no TTY, never privileged.</summary>
    public static JsonObject ExecBody(SandboxCommand command)
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

        return body;
    }

    public static JsonObject CreateBody(SandboxSpec spec, string scratchHostPath, int cpuPeriodMicroseconds = DockerCpuBurst.DefaultPeriodMicroseconds)
    {
        var (uid, gid) = spec.EnsureEnforceable(minimumMemoryBytes: 6 << 20);
        var limits = spec.Limits;

        var labels = new JsonObject
        {
            [SandboxLabels.Marker] = SandboxLabels.SchemaVersion,
            [SandboxLabels.Id] = spec.Id,
            [SandboxLabels.Owner] = spec.OwnerServerId,
            [SandboxLabels.Runtime] = spec.Runtime,
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
            // The same average as NanoCpus (--cpus), over a period of Polydev's choosing (DockerCpuBurst).
            ["CpuPeriod"] = cpuPeriodMicroseconds,
            ["CpuQuota"] = Math.Max(1000, (long)Math.Round(limits.Cpus * cpuPeriodMicroseconds)),
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

    public static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

}
