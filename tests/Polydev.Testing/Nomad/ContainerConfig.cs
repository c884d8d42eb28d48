using System.Globalization;
using System.Text.Json.Nodes;

namespace Polydev.Testing.Nomad;

/// <summary>
/// A task's <c>POST /containers/create</c> body as Nomad's Docker driver builds it (createContainerConfig): the image,
/// command and args, user, environment with Nomad's variables, labels, the task directories, and the driver config's
/// isolation and resource fields.
/// </summary>
internal static class ContainerConfig
{
    public sealed class RefusedException(string message) : Exception(message);

    private static readonly string[] AllowedCaps =
        ["audit_write", "chown", "dac_override", "fowner", "fsetid", "kill", "mknod", "net_bind_service", "setfcap", "setgid", "setpcap", "setuid", "sys_chroot"];

    public static JsonObject Build(Cluster cluster, Allocation alloc, JsonObject task, string allocDir, string instance)
    {
        var config = task["Config"] as JsonObject ?? [];
        var name = (string)task["Name"]!;
        var node = alloc.Node;
        var (cpu, memoryMb, memoryMaxMb, cores) = Scheduler.TaskAsk(task);
        if (cores > 0)
        {
            cpu = cores * node.Options.MhzPerCore;
        }

        if (Bool(config, "privileged") && !cluster.Options.AllowPrivileged)
        {
            throw new RefusedException("Docker privileged mode is disabled on this Nomad agent");
        }

        var capAdd = Strings(config, "cap_add");
        var notAllowed = capAdd.Select(c => c.ToLowerInvariant().Replace("cap_", "", StringComparison.Ordinal))
            .Where(c => c != "all" ? !AllowedCaps.Contains(c) : true).ToList();
        if (notAllowed.Count > 0)
        {
            throw new RefusedException($"driver does not allow the following capabilities: {string.Join(", ", notAllowed)}");
        }

        // memoryLimits: with a max, it is the hard limit and the ask the reservation; else the ask is hard.
        var hardMb = Math.Max(Long(config, "memory_hard_limit"), memoryMaxMb);
        long memory, reservation;
        if (hardMb == 0)
        {
            memory = (long)memoryMb << 20;
            reservation = 0;
        }
        else
        {
            memory = hardMb << 20;
            reservation = (long)memoryMb << 20;
        }

        var pids = Long(config, "pids_limit");
        if (pids > 0 && cluster.Options.PluginPidsLimit > 0 && pids > cluster.Options.PluginPidsLimit)
        {
            throw new RefusedException($"pids_limit cannot be greater than nomad plugin config pids_limit: {cluster.Options.PluginPidsLimit}");
        }

        if (pids == 0 && cluster.Options.PluginPidsLimit > 0)
        {
            pids = cluster.Options.PluginPidsLimit;
        }

        var host = new JsonObject
        {
            ["Binds"] = new JsonArray(
                $"{Path.Combine(allocDir, "alloc")}:/alloc",
                $"{Path.Combine(allocDir, name, "local")}:/local",
                $"{Path.Combine(allocDir, name, "secrets")}:/secrets"),
            ["Memory"] = memory,
            ["MemoryReservation"] = reservation,
            ["MemorySwap"] = memory,
            ["CpuShares"] = Math.Max(2, cpu),
            ["PidsLimit"] = pids,
            ["Privileged"] = Bool(config, "privileged"),
            ["ReadonlyRootfs"] = Bool(config, "readonly_rootfs"),
            ["RestartPolicy"] = new JsonObject { ["Name"] = "no" },
        };
        if (Bool(config, "cpu_hard_limit"))
        {
            var period = Long(config, "cpu_cfs_period");
            if (period < 0 || period > 1_000_000)
            {
                throw new RefusedException("invalid value for cpu_cfs_period");
            }

            if (period == 0)
            {
                period = 100_000;
            }

            // PercentTicks of the node's total compute, times the period, times the node's cores.
            var percentTicks = (double)cpu / node.TotalMhz;
            host["CpuPeriod"] = period;
            host["CpuQuota"] = (long)(percentTicks * period) * node.Options.Cores;
        }

        if (Bool(config, "init"))
        {
            host["Init"] = true;
        }

        var capDrop = Strings(config, "cap_drop");
        if (capDrop.Count > 0)
        {
            host["CapDrop"] = new JsonArray([.. capDrop.Select(c => (JsonNode)c)]);
        }
        else if (capAdd.Count == 0)
        {
            // Nomad's driver grants only allow_caps: Docker's defaults it does not allow (net_raw) are dropped.
            host["CapDrop"] = new JsonArray("net_raw");
        }

        if (capAdd.Count > 0)
        {
            host["CapAdd"] = new JsonArray([.. capAdd.Select(c => (JsonNode)c)]);
        }

        var securityOpt = Strings(config, "security_opt");
        if (securityOpt.Count > 0)
        {
            host["SecurityOpt"] = new JsonArray([.. securityOpt.Select(c => (JsonNode)c)]);
        }

        var networkMode = (string?)config["network_mode"];
        host["NetworkMode"] = string.IsNullOrEmpty(networkMode) ? "bridge" : networkMode;
        if ((string?)config["ipc_mode"] is { Length: > 0 } ipc)
        {
            host["IpcMode"] = ipc;
        }

        if ((string?)config["pid_mode"] is { Length: > 0 } pid)
        {
            host["PidMode"] = pid;
        }

        if (Long(config, "shm_size") > 0)
        {
            host["ShmSize"] = Long(config, "shm_size");
        }

        var hosts = Strings(config, "extra_hosts");
        if (hosts.Count > 0)
        {
            host["ExtraHosts"] = new JsonArray([.. hosts.Select(h => (JsonNode)h)]);
        }

        var dns = Strings(config, "dns_servers");
        if (dns.Count > 0)
        {
            host["Dns"] = new JsonArray([.. dns.Select(h => (JsonNode)h)]);
        }

        var logging = Block(config, "logging");
        var logType = (string?)logging?["type"] ?? (string?)logging?["driver"];
        host["LogConfig"] = string.IsNullOrEmpty(logType)
            ? new JsonObject { ["Type"] = "json-file", ["Config"] = new JsonObject { ["max-file"] = "2", ["max-size"] = "2m" } }
            : new JsonObject { ["Type"] = logType, ["Config"] = LogConfigOptions(logging) };

        var mounts = new JsonArray();
        foreach (var mount in Blocks(config, "mount").Concat(Blocks(config, "mounts")))
        {
            var type = (string?)mount["type"] ?? "volume";
            var target = (string?)mount["target"] ?? throw new RefusedException("mount target must be set");
            var m = new JsonObject { ["Type"] = type, ["Target"] = target, ["ReadOnly"] = (bool?)mount["readonly"] ?? false };
            switch (type)
            {
                case "tmpfs":
                    var options = Block(mount, "tmpfs_options");
                    var tmpfs = new JsonObject();
                    if ((long?)options?["size"] is { } size)
                    {
                        tmpfs["SizeBytes"] = size;
                    }

                    if ((long?)options?["mode"] is { } mode)
                    {
                        tmpfs["Mode"] = mode;
                    }

                    m["TmpfsOptions"] = tmpfs;
                    break;
                case "bind":
                    if (!cluster.Options.VolumesEnabled)
                    {
                        throw new RefusedException($"volumes are not enabled; cannot mount host paths: \"{(string?)mount["source"]}\"");
                    }

                    var source = (string?)mount["source"] ?? "";
                    m["Source"] = Path.IsPathRooted(source) ? source : Path.Combine(allocDir, name, source);
                    break;
                case "volume":
                    if (!cluster.Options.VolumesEnabled)
                    {
                        throw new RefusedException("volumes are not enabled; cannot use volume mounts");
                    }

                    m["Source"] = (string?)mount["source"] ?? "";
                    break;
                default:
                    throw new RefusedException($"mount type {type} is not supported");
            }

            mounts.Add(m);
        }

        if (mounts.Count > 0)
        {
            host["Mounts"] = mounts;
        }

        var labels = new JsonObject();
        foreach (var block in Blocks(config, "labels"))
        {
            foreach (var (k, v) in block)
            {
                labels[k] = v?.DeepClone();
            }
        }

        labels["com.hashicorp.nomad.alloc_id"] = alloc.ID;
        labels["com.hashicorp.nomad.job_name"] = alloc.Job.Name;
        labels["com.hashicorp.nomad.job_id"] = alloc.Job.ID;
        labels["com.hashicorp.nomad.task_group_name"] = alloc.TaskGroup;
        labels["com.hashicorp.nomad.task_name"] = name;
        labels["com.hashicorp.nomad.namespace"] = alloc.Namespace;
        labels["com.hashicorp.nomad.node_name"] = node.Name;
        labels["com.hashicorp.nomad.node_id"] = node.ID;
        labels[ClientNodes.TestLabel] = ClientNodes.TestLabelValue;
        labels[ClientNodes.InstanceLabel] = instance;

        var body = new JsonObject
        {
            ["Image"] = (string?)config["image"],
            ["User"] = (string?)task["User"] ?? "",
            ["Env"] = new JsonArray([.. Environment(cluster, alloc, task, cpu, memoryMb, memoryMaxMb, cores).Select(p => (JsonNode)$"{p.Key}={p.Value}")]),
            ["Labels"] = labels,
            ["Tty"] = Bool(config, "tty"),
            ["OpenStdin"] = Bool(config, "interactive"),
            ["HostConfig"] = host,
        };
        if ((string?)config["hostname"] is { Length: > 0 } hostname)
        {
            body["Hostname"] = hostname;
        }

        if ((string?)config["work_dir"] is { Length: > 0 } workDir)
        {
            body["WorkingDir"] = workDir;
        }

        var entrypoint = Strings(config, "entrypoint");
        if (entrypoint.Count > 0)
        {
            body["Entrypoint"] = new JsonArray([.. entrypoint.Select(e => (JsonNode)e)]);
        }

        var command = (string?)config["command"];
        var args = Strings(config, "args");
        if (!string.IsNullOrEmpty(command))
        {
            body["Cmd"] = new JsonArray([(JsonNode)command, .. args.Select(a => (JsonNode)a)]);
        }
        else if (args.Count > 0)
        {
            body["Cmd"] = new JsonArray([.. args.Select(a => (JsonNode)a)]);
        }

        return body;
    }

    /// <summary>The task's environment: Nomad's variables (taskenv), then the task's own <c>env</c>.</summary>
    public static Dictionary<string, string> Environment(Cluster cluster, Allocation alloc, JsonObject task, int cpu, int memoryMb, int memoryMaxMb, int cores)
    {
        var job = alloc.JobSnapshot;
        var name = (string)task["Name"]!;
        var open = alloc.Name.LastIndexOf('[');
        var env = new Dictionary<string, string>
        {
            ["NOMAD_ALLOC_DIR"] = "/alloc",
            ["NOMAD_TASK_DIR"] = "/local",
            ["NOMAD_SECRETS_DIR"] = "/secrets",
            ["NOMAD_ALLOC_ID"] = alloc.ID,
            ["NOMAD_SHORT_ALLOC_ID"] = alloc.ID[..8],
            ["NOMAD_ALLOC_NAME"] = alloc.Name,
            ["NOMAD_ALLOC_INDEX"] = open >= 0 ? alloc.Name[(open + 1)..^1] : "0",
            ["NOMAD_TASK_NAME"] = name,
            ["NOMAD_GROUP_NAME"] = alloc.TaskGroup,
            ["NOMAD_JOB_ID"] = alloc.Job.ID,
            ["NOMAD_JOB_NAME"] = alloc.Job.Name,
            ["NOMAD_DC"] = alloc.Node.Options.Datacenter,
            ["NOMAD_REGION"] = (string?)job["Region"] ?? cluster.Options.Region,
            ["NOMAD_NAMESPACE"] = alloc.Namespace,
            ["NOMAD_CPU_LIMIT"] = cpu.ToString(CultureInfo.InvariantCulture),
            ["NOMAD_MEMORY_LIMIT"] = memoryMb.ToString(CultureInfo.InvariantCulture),
            ["NOMAD_PARENT_CGROUP"] = "nomad.slice",
        };
        if (memoryMaxMb > 0)
        {
            env["NOMAD_MEMORY_MAX_LIMIT"] = memoryMaxMb.ToString(CultureInfo.InvariantCulture);
        }

        if (cores > 0)
        {
            env["NOMAD_CPU_CORES"] = string.Join(',', Enumerable.Range(0, cores));
        }

        foreach (var meta in new[] { job["Meta"], alloc.Group["Meta"], task["Meta"] })
        {
            foreach (var (k, v) in meta as JsonObject ?? [])
            {
                var value = v?.ToString() ?? "";
                env["NOMAD_META_" + k] = value;
                env["NOMAD_META_" + k.ToUpperInvariant()] = value;
            }
        }

        foreach (var (k, v) in task["Env"] as JsonObject ?? [])
        {
            env[k] = v?.ToString() ?? "";
        }

        return env;
    }

    private static JsonObject LogConfigOptions(JsonObject? logging)
    {
        var options = new JsonObject();
        foreach (var block in logging is null ? [] : Blocks(logging, "config"))
        {
            foreach (var (k, v) in block)
            {
                options[k] = v?.ToString();
            }
        }

        return options;
    }

    private static bool Bool(JsonObject config, string key) =>
        config[key] is JsonValue v && (v.TryGetValue<bool>(out var b) ? b : v.TryGetValue<string>(out var s) && bool.TryParse(s, out var p) && p);

    private static long Long(JsonObject config, string key) =>
        config[key] is JsonValue v ? (v.TryGetValue<long>(out var l) ? l : v.TryGetValue<double>(out var d) ? (long)d : v.TryGetValue<string>(out var s) && long.TryParse(s, out var p) ? p : 0) : 0;

    private static List<string> Strings(JsonObject config, string key) =>
        config[key] is JsonArray a ? [.. a.Select(x => x?.ToString() ?? "")] : config[key] is JsonValue v ? [v.ToString()] : [];

    /// <summary>An HCL block as the API carries it: an object, or a list of one object.</summary>
    private static JsonObject? Block(JsonObject parent, string key) =>
        parent[key] as JsonObject ?? (parent[key] as JsonArray)?.OfType<JsonObject>().FirstOrDefault();

    private static IEnumerable<JsonObject> Blocks(JsonObject parent, string key) =>
        parent[key] is JsonObject o ? [o] : (parent[key] as JsonArray ?? []).OfType<JsonObject>();
}
