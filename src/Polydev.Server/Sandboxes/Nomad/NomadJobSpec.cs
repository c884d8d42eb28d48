using System.Text.Json.Nodes;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// A <see cref="SandboxSpec"/> as the body of <c>POST /v1/jobs</c>: one batch job per sandbox, one group, one Docker
/// task, every rule of <see cref="SandboxLimits"/> on its driver or resources field (docs/nomad.md shows the job and
/// the table). The job never restarts or reschedules: a sandbox that fails is replaced by its pool, not by Nomad.
/// </summary>
public static class NomadJobSpec
{
    /// <summary>The group's and the task's name.</summary>
    public const string TaskName = "sandbox";

    private const long NanosPerSecond = 1_000_000_000;

    /// <summary>The job id of a sandbox (also its service name): <c>{prefix}{sandbox id}</c>.</summary>
    public static string JobId(NomadEngineOptions options, string sandboxId) => options.JobPrefix + sandboxId;

    /// <summary>The <c>{"Job": …}</c> body. Throws <see cref="ArgumentException"/> for a spec that would weaken a rule.</summary>
    /// <param name="cpuMhzPerCore">The nodes' MHz per core, which turns <see cref="SandboxLimits.Cpus"/> into Nomad's MHz.</param>
    public static JsonObject RegisterBody(SandboxSpec spec, NomadEngineOptions options, int cpuMhzPerCore) =>
        new() { ["Job"] = Job(spec, options, cpuMhzPerCore) };

    public static JsonObject Job(SandboxSpec spec, NomadEngineOptions options, int cpuMhzPerCore)
    {
        // Nomad refuses a task under 10 MB of memory.
        var user = spec.EnsureEnforceable(minimumMemoryBytes: 10 << 20);
        var limits = spec.Limits;

        var id = JobId(options, spec.Id);
        var networked = spec.Network.Name is not null;
        var task = new JsonObject
        {
            ["Name"] = TaskName,
            ["Driver"] = options.Driver.Name,
            ["User"] = $"{user.Uid}:{user.Gid}",
            ["Config"] = DriverConfig(spec, options),
            ["Env"] = Environment(spec),
            ["Resources"] = Resources(limits, cpuMhzPerCore),
            ["KillTimeout"] = (long)(options.Driver.KillTimeout.TotalSeconds * NanosPerSecond),
            // What the main process prints may be a user's data: Nomad keeps no log of it.
            ["LogConfig"] = new JsonObject { ["Disabled"] = true, ["MaxFiles"] = 1, ["MaxFileSizeMB"] = 1 },
        };
        if (networked)
        {
            // Nomad's native service discovery is its one way to report a task's address on a Docker network
            // (address_mode "driver"); the egress token is bound to that address.
            task["Services"] = new JsonArray(new JsonObject
            {
                ["Name"] = id,
                ["Provider"] = "nomad",
                ["AddressMode"] = "driver",
                ["Tags"] = new JsonArray("polydev-sandbox", spec.Runtime),
            });
        }

        var job = new JsonObject
        {
            ["ID"] = id,
            ["Name"] = id,
            ["Type"] = "batch",
            ["Namespace"] = options.Namespace,
            ["Priority"] = options.Priority,
            ["Datacenters"] = new JsonArray([.. options.Datacenters.Select(d => (JsonNode)d)]),
            ["Meta"] = Meta(spec),
            ["Constraints"] = Constraints(options, networked),
            ["TaskGroups"] = new JsonArray(new JsonObject
            {
                ["Name"] = TaskName,
                ["Count"] = 1,
                ["RestartPolicy"] = new JsonObject { ["Attempts"] = 0, ["Mode"] = "fail", ["Interval"] = 60 * NanosPerSecond, ["Delay"] = NanosPerSecond },
                ["ReschedulePolicy"] = new JsonObject { ["Attempts"] = 0, ["Unlimited"] = false },
                // Nomad's own minimum; the sandbox writes nothing there that it keeps (home and scratch are tmpfs).
                ["EphemeralDisk"] = new JsonObject { ["SizeMB"] = 10, ["Sticky"] = false, ["Migrate"] = false },
                ["Tasks"] = new JsonArray(task),
            }),
        };
        if (options.Region is { } region)
        {
            job["Region"] = region;
        }

        if (options.NodePool is { } pool)
        {
            job["NodePool"] = pool;
        }

        return job;
    }

    /// <summary>The Docker driver's <c>config</c>: each isolation rule on its field.</summary>
    private static JsonObject DriverConfig(SandboxSpec spec, NomadEngineOptions options)
    {
        var limits = spec.Limits;
        var config = new JsonObject
        {
            ["image"] = PinnedImage(spec),
            // Images are built and distributed by the operator (docs/nomad.md): a node never pulls a different one.
            ["force_pull"] = false,
            ["readonly_rootfs"] = true,
            ["cap_drop"] = new JsonArray("ALL"),
            ["security_opt"] = new JsonArray("no-new-privileges:true"),
            ["pids_limit"] = limits.PidsLimit,
            ["network_mode"] = spec.Network.Name ?? "none",
            ["shm_size"] = 16L << 20,
            ["init"] = true,
            ["privileged"] = false,
            ["work_dir"] = limits.HomePath,
            ["cpu_hard_limit"] = true,
            ["cpu_cfs_period"] = options.Driver.CpuPeriodMicroseconds,
            ["logging"] = new JsonObject { ["type"] = "none" },
            // The home and the scratch space stay in memory (counted against the memory limit): Nomad's task
            // directories are on the node's disk without a quota, so nothing of the sandbox's is written there.
            // Docker's mount API cannot give a tmpfs an owner, so both are sticky and world-writable, as /tmp is.
            ["mount"] = new JsonArray(Tmpfs(limits.HomePath, limits.ScratchBytes), Tmpfs(limits.ScratchPath, limits.ScratchBytes)),
        };
        if (spec.Command is { Count: > 0 } command)
        {
            // Docker's Cmd, as the Docker engine sets it: the image's entrypoint (if any) stays.
            config["command"] = command[0];
            config["args"] = new JsonArray([.. command.Skip(1).Select(a => (JsonNode)a)]);
        }

        return config;
    }

    /// <summary>
    /// The image by the version the pool serves: Nomad's Docker driver pulls a <c>latest</c> (or untagged) reference on
    /// every start whatever <c>force_pull</c> says, and <c>polydev images build</c> tags each image with its version too.
    /// A digest or another tag is kept as given.
    /// </summary>
    public static string PinnedImage(SandboxSpec spec)
    {
        var image = spec.Image;
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return image;
        }

        var name = image.LastIndexOf('/') is var slash and >= 0 ? image[(slash + 1)..] : image;
        var colon = name.LastIndexOf(':');
        if (colon >= 0 && name[(colon + 1)..] != "latest")
        {
            return image;
        }

        var repository = colon >= 0 ? image[..(image.Length - (name.Length - colon))] : image;
        return $"{repository}:{spec.ImageVersion}";
    }

    private static JsonObject Tmpfs(string target, long bytes) => new()
    {
        ["type"] = "tmpfs",
        ["target"] = target,
        ["readonly"] = false,
        ["tmpfs_options"] = new JsonObject { ["size"] = bytes, ["mode"] = Convert.ToInt32("1777", 8) },
    };

    private static JsonObject Resources(SandboxLimits limits, int cpuMhzPerCore)
    {
        // Nomad counts MB as MiB. Rounded down: a hard limit may be stricter than asked, never looser.
        var memoryMb = limits.MemoryBytes >> 20;
        var cpu = (int)Math.Max(1, Math.Floor(limits.Cpus * cpuMhzPerCore));
        return new JsonObject
        {
            ["CPU"] = cpu,
            ["MemoryMB"] = memoryMb,
            // Equal to MemoryMB: the reservation Nomad places by is the hard limit, no oversubscription.
            ["MemoryMaxMB"] = memoryMb,
        };
    }

    private static JsonObject Environment(SandboxSpec spec)
    {
        var env = new JsonObject();
        foreach (var (key, value) in spec.Environment)
        {
            env[key] = value;
        }

        env["HOME"] = spec.Limits.HomePath;
        return env;
    }

    /// <summary>The job's meta: <see cref="SandboxLabels"/>, as a Docker sandbox's labels.</summary>
    public static JsonObject Meta(SandboxSpec spec) => new()
    {
        [SandboxLabels.Marker] = SandboxLabels.SchemaVersion,
        [SandboxLabels.Id] = spec.Id,
        [SandboxLabels.Owner] = spec.OwnerServerId,
        [SandboxLabels.Runtime] = spec.Runtime,
        [SandboxLabels.ImageVersion] = spec.ImageVersion,
        [SandboxLabels.State] = "warming",
    };

    private static JsonArray Constraints(NomadEngineOptions options, bool networked)
    {
        var constraints = new JsonArray(new NomadConstraint("${attr.kernel.name}", "=", "linux").ToJson());
        if (networked)
        {
            constraints.Add(new NomadConstraint($"${{meta.{options.Egress.ReadyMeta}}}", "=", "ready").ToJson());
        }

        foreach (var constraint in options.Constraints)
        {
            constraints.Add(NomadConstraint.Parse(constraint).ToJson());
        }

        return constraints;
    }
}
