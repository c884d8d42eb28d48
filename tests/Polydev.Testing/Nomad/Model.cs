using System.Globalization;
using System.Text.Json.Nodes;

namespace Polydev.Testing.Nomad;

/// <summary>Nomad's time formats: nanoseconds since the epoch for indexes' times, RFC 3339 for task states (zero: year 1).</summary>
internal static class NomadTime
{
    public static void Chmod(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    public static long NowNanos() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;

    public static string Rfc3339(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture) : "0001-01-01T00:00:00Z";

    /// <summary>Go's <c>time.ParseDuration</c> for what clients send: <c>30s</c>, <c>5m</c>, <c>300000ms</c>, <c>1m30s</c>, <c>1.5h</c>.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var total = 0.0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(text[start..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            var unitStart = i;
            while (i < text.Length && !char.IsDigit(text[i]) && text[i] != '.')
            {
                i++;
            }

            var factor = text[unitStart..i] switch
            {
                "ns" => 1e-6,
                "us" or "µs" => 1e-3,
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => double.NaN,
            };
            if (double.IsNaN(factor))
            {
                return null;
            }

            total += value * factor;
        }

        return TimeSpan.FromMilliseconds(total);
    }
}

internal sealed class Node
{
    public required string ID { get; init; }
    public required NomadStandInNodeOptions Options { get; init; }
    public required Dictionary<string, string> Attributes { get; init; }
    public required Dictionary<string, string> Meta { get; init; }
    public string Status { get; set; } = "ready";
    public string StatusDescription { get; set; } = "";
    public string Eligibility { get; set; } = "eligible";
    public JsonObject? DrainStrategy { get; set; }
    public DateTimeOffset? DrainDeadline { get; set; }
    public bool DrainForever { get; set; }
    public ulong CreateIndex { get; set; }
    public ulong ModifyIndex { get; set; }
    public List<JsonObject> Events { get; } = [];

    public string Name => Options.Name;

    public int TotalMhz => Options.Cores * Options.MhzPerCore;

    public bool Drain => DrainStrategy is not null;

    public JsonObject Resources() => new()
    {
        ["Cpu"] = new JsonObject
        {
            ["CpuShares"] = TotalMhz,
            ["TotalCpuCores"] = Options.Cores,
            ["ReservableCpuCores"] = new JsonArray([.. Enumerable.Range(0, Options.Cores).Select(c => (JsonNode)c)]),
        },
        ["Memory"] = new JsonObject { ["MemoryMB"] = Options.MemoryMB },
        ["Disk"] = new JsonObject { ["DiskMB"] = Options.DiskMB },
        ["Networks"] = null,
        ["Devices"] = null,
        ["MinDynamicPort"] = 20000,
        ["MaxDynamicPort"] = 32000,
    };

    public JsonObject Drivers() => new()
    {
        ["docker"] = new JsonObject
        {
            ["Attributes"] = new JsonObject { ["driver.docker"] = "true" },
            ["Detected"] = true,
            ["Healthy"] = true,
            ["HealthDescription"] = "Healthy",
            ["UpdateTime"] = NomadTime.Rfc3339(DateTimeOffset.UtcNow),
        },
    };

    public JsonObject Stub(bool resources)
    {
        var stub = new JsonObject
        {
            ["Address"] = "127.0.0.1",
            ["ID"] = ID,
            ["Datacenter"] = Options.Datacenter,
            ["Name"] = Name,
            ["NodeClass"] = Options.NodeClass,
            ["NodePool"] = Options.NodePool,
            ["Version"] = NomadStandIn.Version,
            ["Drain"] = Drain,
            ["SchedulingEligibility"] = Eligibility,
            ["Status"] = Status,
            ["StatusDescription"] = StatusDescription,
            ["Drivers"] = Drivers(),
            ["HostVolumes"] = null,
            ["LastDrain"] = null,
            ["CreateIndex"] = CreateIndex,
            ["ModifyIndex"] = ModifyIndex,
        };
        if (resources)
        {
            stub["NodeResources"] = Resources();
            stub["ReservedResources"] = new JsonObject { ["Cpu"] = new JsonObject { ["CpuShares"] = 0 }, ["Memory"] = new JsonObject { ["MemoryMB"] = 0 }, ["Disk"] = new JsonObject { ["DiskMB"] = 0 } };
        }

        return stub;
    }

    public JsonObject Full(string address)
    {
        var attributes = new JsonObject();
        foreach (var (k, v) in Attributes.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            attributes[k] = v;
        }

        var meta = new JsonObject();
        foreach (var (k, v) in Meta.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            meta[k] = v;
        }

        return new JsonObject
        {
            ["ID"] = ID,
            ["Datacenter"] = Options.Datacenter,
            ["Name"] = Name,
            ["HTTPAddr"] = address,
            ["TLSEnabled"] = address.StartsWith("https", StringComparison.Ordinal),
            ["Attributes"] = attributes,
            ["NodeResources"] = Resources(),
            ["ReservedResources"] = new JsonObject { ["Cpu"] = new JsonObject { ["CpuShares"] = 0 }, ["Memory"] = new JsonObject { ["MemoryMB"] = 0 }, ["Disk"] = new JsonObject { ["DiskMB"] = 0 } },
            ["Resources"] = new JsonObject { ["CPU"] = TotalMhz, ["MemoryMB"] = Options.MemoryMB, ["DiskMB"] = Options.DiskMB },
            ["Links"] = new JsonObject(),
            ["Meta"] = meta,
            ["NodeClass"] = Options.NodeClass,
            ["NodePool"] = Options.NodePool,
            ["CgroupParent"] = "nomad.slice",
            ["Drain"] = Drain,
            ["DrainStrategy"] = DrainStrategy?.DeepClone(),
            ["SchedulingEligibility"] = Eligibility,
            ["Status"] = Status,
            ["StatusDescription"] = StatusDescription,
            ["StatusUpdatedAt"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["Events"] = new JsonArray([.. Events.Select(e => e.DeepClone())]),
            ["Drivers"] = Drivers(),
            ["HostVolumes"] = null,
            ["LastDrain"] = null,
            ["CreateIndex"] = CreateIndex,
            ["ModifyIndex"] = ModifyIndex,
        };
    }

    public NomadStandInNode View() => new(ID, Name, Options.Datacenter, Options.NodePool, Status, Eligibility, Drain);
}

internal sealed class Job
{
    public required JsonObject Spec { get; set; }
    public string Status { get; set; } = "pending";
    public bool Stop { get; set; }
    public ulong Version { get; set; }
    public ulong CreateIndex { get; set; }
    public ulong ModifyIndex { get; set; }
    public ulong JobModifyIndex { get; set; }
    public long SubmitTime { get; set; }
    public ulong SummaryModifyIndex { get; set; }

    public string ID => (string)Spec["ID"]!;
    public string Namespace => (string)Spec["Namespace"]!;
    public string Type => (string)Spec["Type"]!;
    public string Name => (string)Spec["Name"]!;

    public IEnumerable<JsonObject> Groups => (Spec["TaskGroups"] as JsonArray ?? []).OfType<JsonObject>();

    public JsonObject Full()
    {
        var job = (JsonObject)Spec.DeepClone();
        job["Stop"] = Stop;
        job["Status"] = Status;
        job["StatusDescription"] = "";
        job["Version"] = Version;
        job["CreateIndex"] = CreateIndex;
        job["ModifyIndex"] = ModifyIndex;
        job["JobModifyIndex"] = JobModifyIndex;
        job["SubmitTime"] = SubmitTime;
        job["Stable"] = false;
        return job;
    }
}

internal sealed class Evaluation
{
    public required string ID { get; init; }
    public required string Namespace { get; init; }
    public required string JobID { get; init; }
    public required string Type { get; init; }
    public required string TriggeredBy { get; init; }
    public int Priority { get; init; } = 50;
    public string NodeID { get; init; } = "";
    public ulong JobModifyIndex { get; init; }
    public string Status { get; set; } = "pending";
    public string StatusDescription { get; set; } = "";
    public string BlockedEval { get; set; } = "";
    public string PreviousEval { get; init; } = "";
    public JsonObject? FailedTGAllocs { get; set; }
    public Dictionary<string, int> QueuedAllocations { get; set; } = [];
    public ulong CreateIndex { get; set; }
    public ulong ModifyIndex { get; set; }
    public long CreateTime { get; init; } = NomadTime.NowNanos();
    public long ModifyTime { get; set; } = NomadTime.NowNanos();

    public JsonObject Json()
    {
        var queued = new JsonObject();
        foreach (var (k, v) in QueuedAllocations)
        {
            queued[k] = v;
        }

        return new JsonObject
        {
            ["ID"] = ID,
            ["Namespace"] = Namespace,
            ["Priority"] = Priority,
            ["Type"] = Type,
            ["TriggeredBy"] = TriggeredBy,
            ["JobID"] = JobID,
            ["JobModifyIndex"] = JobModifyIndex,
            ["NodeID"] = NodeID,
            ["NodeModifyIndex"] = 0,
            ["DeploymentID"] = "",
            ["Status"] = Status,
            ["StatusDescription"] = StatusDescription,
            ["Wait"] = 0,
            ["WaitUntil"] = "0001-01-01T00:00:00Z",
            ["NextEval"] = "",
            ["PreviousEval"] = PreviousEval,
            ["BlockedEval"] = BlockedEval,
            ["RelatedEvals"] = null,
            ["FailedTGAllocs"] = FailedTGAllocs?.DeepClone(),
            ["ClassEligibility"] = null,
            ["EscapedComputedClass"] = false,
            ["QuotaLimitReached"] = "",
            ["AnnotatePlan"] = false,
            ["QueuedAllocations"] = queued,
            ["SnapshotIndex"] = CreateIndex,
            ["CreateIndex"] = CreateIndex,
            ["ModifyIndex"] = ModifyIndex,
            ["CreateTime"] = CreateTime,
            ["ModifyTime"] = ModifyTime,
        };
    }
}

internal sealed class TaskState
{
    public string State { get; set; } = "pending";
    public bool Failed { get; set; }
    public ulong Restarts { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public List<JsonObject> Events { get; } = [];

    public JsonObject Json() => new()
    {
        ["State"] = State,
        ["Failed"] = Failed,
        ["Restarts"] = Restarts,
        ["LastRestart"] = "0001-01-01T00:00:00Z",
        ["StartedAt"] = NomadTime.Rfc3339(StartedAt),
        ["FinishedAt"] = NomadTime.Rfc3339(FinishedAt),
        ["Events"] = new JsonArray([.. Events.Select(e => e.DeepClone())]),
        ["TaskHandle"] = null,
        ["Paused"] = "",
    };

    /// <summary>A TaskEvent with every field of Nomad's struct; <paramref name="details"/> as Nomad's setters fill them.</summary>
    public static JsonObject Event(string type, string displayMessage, IReadOnlyDictionary<string, string>? details = null, Action<JsonObject>? fields = null)
    {
        var detailObject = new JsonObject();
        foreach (var (k, v) in details ?? new Dictionary<string, string>())
        {
            detailObject[k] = v;
        }

        var e = new JsonObject
        {
            ["Type"] = type,
            ["Time"] = NomadTime.NowNanos(),
            ["Message"] = "",
            ["DisplayMessage"] = displayMessage,
            ["Details"] = detailObject,
            ["FailsTask"] = false,
            ["RestartReason"] = "",
            ["SetupError"] = "",
            ["DriverError"] = "",
            ["ExitCode"] = 0,
            ["Signal"] = 0,
            ["KillTimeout"] = 0,
            ["KillError"] = "",
            ["KillReason"] = "",
            ["StartDelay"] = 0,
            ["DownloadError"] = "",
            ["ValidationError"] = "",
            ["DiskLimit"] = 0,
            ["FailedSibling"] = "",
            ["VaultError"] = "",
            ["TaskSignalReason"] = "",
            ["TaskSignal"] = "",
            ["DriverMessage"] = "",
            ["GenericSource"] = "",
        };
        fields?.Invoke(e);
        return e;
    }
}

internal sealed class Allocation
{
    public required string ID { get; init; }
    public required string Namespace { get; init; }
    public required string EvalID { get; set; }
    public required string Name { get; init; }
    public required Node Node { get; init; }
    public required Job Job { get; init; }
    public required JsonObject JobSnapshot { get; init; }
    public required JsonObject Group { get; init; }
    public string TaskGroup => (string)Group["Name"]!;
    public string DesiredStatus { get; set; } = "run";
    public string DesiredDescription { get; set; } = "";
    public bool Migrate { get; set; }
    public string ClientStatus { get; set; } = "pending";
    public string ClientDescription { get; set; } = "";
    public Dictionary<string, TaskState> TaskStates { get; } = [];
    public string NextAllocation { get; set; } = "";
    public string PreviousAllocation { get; init; } = "";
    public ulong CreateIndex { get; set; }
    public ulong ModifyIndex { get; set; }
    public ulong AllocModifyIndex { get; set; }
    public long CreateTime { get; init; } = NomadTime.NowNanos();
    public long ModifyTime { get; set; } = NomadTime.NowNanos();
    public string? NetworkAddress { get; set; }

    /// <summary>Stopped by a drain's deadline without a replacement (batch and system allocations, as Nomad's drainer does).</summary>
    public bool DrainStopped { get; set; }

    /// <summary>Its job was purged: the client removes its directory as soon as it has stopped.</summary>
    public bool JobPurged { get; set; }

    /// <summary>The allocation's CPU (MHz) and memory (MB) as the scheduler counts them: the sum of its tasks' asks.</summary>
    public (int Cpu, int MemoryMB) Asked => Scheduler.GroupAsk(Group);

    public bool ClientTerminal => ClientStatus is "complete" or "failed" or "lost";

    public bool ServerTerminal => DesiredStatus is "stop" or "evict";

    public bool Terminal => ClientTerminal || ServerTerminal;

    public JsonObject Stub()
    {
        var stub = new JsonObject
        {
            ["ID"] = ID,
            ["EvalID"] = EvalID,
            ["Name"] = Name,
            ["Namespace"] = Namespace,
            ["NodeID"] = Node.ID,
            ["NodeName"] = Node.Name,
            ["JobID"] = Job.ID,
            ["JobType"] = (string?)JobSnapshot["Type"],
            ["JobVersion"] = (ulong?)JobSnapshot["Version"] ?? 0,
            ["TaskGroup"] = TaskGroup,
            ["AllocatedResources"] = Allocated(),
            ["DesiredStatus"] = DesiredStatus,
            ["DesiredDescription"] = DesiredDescription,
            ["ClientStatus"] = ClientStatus,
            ["ClientDescription"] = ClientDescription,
            ["TaskStates"] = States(),
            ["DeploymentStatus"] = null,
            ["FollowupEvalID"] = "",
            ["NextAllocation"] = NextAllocation,
            ["RescheduleTracker"] = null,
            ["PreemptedAllocations"] = null,
            ["PreemptedByAllocation"] = "",
            ["CreateIndex"] = CreateIndex,
            ["ModifyIndex"] = ModifyIndex,
            ["CreateTime"] = CreateTime,
            ["ModifyTime"] = ModifyTime,
        };
        return stub;
    }

    public JsonObject Full(bool withJob = true)
    {
        var full = new JsonObject
        {
            ["ID"] = ID,
            ["Namespace"] = Namespace,
            ["EvalID"] = EvalID,
            ["Name"] = Name,
            ["NodeID"] = Node.ID,
            ["NodeName"] = Node.Name,
            ["JobID"] = Job.ID,
            ["Job"] = withJob ? JobSnapshot.DeepClone() : null,
            ["TaskGroup"] = TaskGroup,
            ["Resources"] = null,
            ["TaskResources"] = null,
            ["AllocatedResources"] = Allocated(),
            ["Services"] = null,
            ["Metrics"] = new JsonObject { ["NodesEvaluated"] = 1, ["NodesFiltered"] = 0, ["NodesExhausted"] = 0 },
            ["DesiredStatus"] = DesiredStatus,
            ["DesiredDescription"] = DesiredDescription,
            ["DesiredTransition"] = new JsonObject { ["Migrate"] = Migrate ? true : null, ["Reschedule"] = null, ["ForceReschedule"] = null, ["NoShutdownDelay"] = null },
            ["ClientStatus"] = ClientStatus,
            ["ClientDescription"] = ClientDescription,
            ["TaskStates"] = States(),
            ["AllocStates"] = null,
            ["DeploymentID"] = "",
            ["DeploymentStatus"] = null,
            ["FollowupEvalID"] = "",
            ["PreviousAllocation"] = PreviousAllocation,
            ["NextAllocation"] = NextAllocation,
            ["RescheduleTracker"] = null,
            ["NetworkStatus"] = NetworkAddress is null ? null : new JsonObject { ["InterfaceName"] = "", ["Address"] = NetworkAddress, ["DNS"] = null },
            ["PreemptedAllocations"] = null,
            ["PreemptedByAllocation"] = "",
            ["SigningKeyID"] = "",
            ["CreateIndex"] = CreateIndex,
            ["ModifyIndex"] = ModifyIndex,
            ["AllocModifyIndex"] = AllocModifyIndex,
            ["CreateTime"] = CreateTime,
            ["ModifyTime"] = ModifyTime,
        };
        return full;
    }

    private JsonObject States()
    {
        var states = new JsonObject();
        foreach (var (task, state) in TaskStates)
        {
            states[task] = state.Json();
        }

        return states;
    }

    private JsonObject Allocated()
    {
        var tasks = new JsonObject();
        foreach (var task in (Group["Tasks"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var (cpu, memory, memoryMax, cores) = Scheduler.TaskAsk(task);
            tasks[(string)task["Name"]!] = new JsonObject
            {
                ["Cpu"] = new JsonObject { ["CpuShares"] = cpu, ["ReservedCores"] = cores > 0 ? new JsonArray([.. Enumerable.Range(0, cores).Select(c => (JsonNode)c)]) : null },
                ["Memory"] = new JsonObject { ["MemoryMB"] = memory, ["MemoryMaxMB"] = memoryMax },
                ["Networks"] = null,
                ["Devices"] = null,
            };
        }

        return new JsonObject
        {
            ["Tasks"] = tasks,
            ["TaskLifecycles"] = null,
            ["Shared"] = new JsonObject { ["DiskMB"] = (int?)Group["EphemeralDisk"]?["SizeMB"] ?? 300, ["Networks"] = null, ["Ports"] = null },
        };
    }
}

internal sealed class Service
{
    public required string ID { get; init; }
    public required string ServiceName { get; init; }
    public required string Namespace { get; init; }
    public required string NodeID { get; init; }
    public required string Datacenter { get; init; }
    public required string JobID { get; init; }
    public required string AllocID { get; init; }
    public required List<string> Tags { get; init; }
    public required string Address { get; init; }
    public int Port { get; init; }
    public ulong CreateIndex { get; set; }
    public ulong ModifyIndex { get; set; }

    public JsonObject Json() => new()
    {
        ["ID"] = ID,
        ["ServiceName"] = ServiceName,
        ["Namespace"] = Namespace,
        ["NodeID"] = NodeID,
        ["Datacenter"] = Datacenter,
        ["JobID"] = JobID,
        ["AllocID"] = AllocID,
        ["Tags"] = new JsonArray([.. Tags.Select(t => (JsonNode)t)]),
        ["Address"] = Address,
        ["Port"] = Port,
        ["CreateIndex"] = CreateIndex,
        ["ModifyIndex"] = ModifyIndex,
    };
}

/// <summary>One event of the event stream.</summary>
internal sealed record StreamEvent(ulong Index, string Topic, string Type, string Key, string Namespace, IReadOnlyList<string> FilterKeys, JsonObject Payload)
{
    public JsonObject Json() => new()
    {
        ["Topic"] = Topic,
        ["Type"] = Type,
        ["Key"] = Key,
        ["Namespace"] = Namespace,
        ["FilterKeys"] = new JsonArray([.. FilterKeys.Select(k => (JsonNode)k)]),
        ["Index"] = Index,
        ["Payload"] = Payload.DeepClone(),
    };
}
