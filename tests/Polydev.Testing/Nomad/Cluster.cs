using System.Text.Json.Nodes;

namespace Polydev.Testing.Nomad;

/// <summary>
/// The stand-in's server state: one raft index for everything, an index per table as Nomad keeps them, and a signal
/// that every change fires so blocking queries and the event stream wake. Every method that changes state takes
/// <see cref="Gate"/>; work on Docker happens outside it (<see cref="ClientNodes"/>).
/// </summary>
internal sealed partial class Cluster
{
    public const string Jobs = "jobs", Allocs = "allocs", Evals = "evals", Nodes = "nodes", Services = "services", Summaries = "job_summary";

    public readonly Lock Gate = new();
    private readonly Dictionary<string, ulong> _tables = new() { [Jobs] = 1, [Allocs] = 1, [Evals] = 1, [Nodes] = 1, [Services] = 1, [Summaries] = 1 };
    private readonly List<StreamEvent> _events = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ulong _index = 1;

    public Cluster(NomadStandInOptions options, string address)
    {
        Options = options;
        Address = address;
        Namespaces = ["default", .. options.Namespaces.Where(n => n != "default")];
    }

    public NomadStandInOptions Options { get; }

    public string Address { get; set; }

    public ClientNodes Client { get; set; } = null!;

    public List<string> Namespaces { get; }

    public List<Node> NodeList { get; } = [];

    public Dictionary<(string Namespace, string Id), Job> JobTable { get; } = [];

    public Dictionary<string, Allocation> AllocTable { get; } = [];

    public Dictionary<string, Evaluation> EvalTable { get; } = [];

    public Dictionary<string, Service> ServiceTable { get; } = [];

    public ulong Index => _index;

    public ulong TableIndex(params string[] tables) => tables.Max(t => _tables[t]);

    /// <summary>The task that completes at the next change (read under <see cref="Gate"/>).</summary>
    public Task Changed => _changed.Task;

    /// <summary>Under <see cref="Gate"/>: a new raft index for <paramref name="tables"/>, and wakes every waiter.</summary>
    public ulong Commit(params string[] tables)
    {
        _index++;
        foreach (var table in tables)
        {
            _tables[table] = _index;
        }

        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
        return _index;
    }

    public void Publish(string topic, string type, string key, string ns, IReadOnlyList<string> filterKeys, JsonObject payload)
    {
        _events.Add(new StreamEvent(_index, topic, type, key, ns, filterKeys, payload));
        if (_events.Count > 20_000)
        {
            _events.RemoveRange(0, 5_000);
        }
    }

    /// <summary>Under <see cref="Gate"/>: the events after <paramref name="index"/>.</summary>
    public List<StreamEvent> EventsAfter(ulong index) => [.. _events.Where(e => e.Index > index)];

    public Node? FindNode(string idOrName) =>
        NodeList.FirstOrDefault(n => n.ID == idOrName) ?? NodeList.FirstOrDefault(n => n.Name == idOrName);

    public void Touch(Allocation alloc, ulong index, bool server = false)
    {
        alloc.ModifyIndex = index;
        alloc.ModifyTime = NomadTime.NowNanos();
        if (server)
        {
            alloc.AllocModifyIndex = index;
        }

        alloc.Job.SummaryModifyIndex = index;
        Publish("Allocation", server ? "PlanResult" : "AllocationUpdated", alloc.ID, alloc.Namespace, [alloc.Job.ID, alloc.EvalID],
            new JsonObject { ["Allocation"] = alloc.Full(withJob: false) });
    }

    public void PublishJob(Job job, string type) =>
        Publish("Job", type, job.ID, job.Namespace, [], new JsonObject { ["Job"] = job.Full() });

    public void PublishEval(Evaluation eval) =>
        Publish("Evaluation", "EvaluationUpdated", eval.ID, eval.Namespace, [eval.JobID], new JsonObject { ["Evaluation"] = eval.Json() });

    public void PublishNode(Node node, string type) =>
        Publish("Node", type, node.ID, "", [], new JsonObject { ["Node"] = node.Full(Address) });

    /// <summary>Nomad's job status: dead when stopped or when every allocation is terminal and nothing is queued; running with any live allocation; pending otherwise.</summary>
    public string JobStatus(Job job)
    {
        if (job.Stop)
        {
            return "dead";
        }

        var allocs = AllocTable.Values.Where(a => a.Job == job).ToList();
        if (allocs.Any(a => !a.ClientTerminal && a.DesiredStatus == "run"))
        {
            return "running";
        }

        var pendingEvals = EvalTable.Values.Any(e => e.JobID == job.ID && e.Namespace == job.Namespace && e.Status is "pending" or "blocked");
        if (pendingEvals || allocs.Count == 0)
        {
            return job.Type == "system" && allocs.Count == 0 && !pendingEvals ? "running" : "pending";
        }

        return job.Type is "batch" or "sysbatch" ? "dead" : allocs.All(a => a.Terminal) ? "dead" : "running";
    }

    /// <summary>Under <see cref="Gate"/>: refreshes the status of <paramref name="job"/>, publishing it when it changed.</summary>
    public void RefreshJob(Job job, ulong index)
    {
        var status = JobStatus(job);
        if (status != job.Status)
        {
            job.Status = status;
            job.ModifyIndex = index;
            _tables[Jobs] = index;
            PublishJob(job, "JobRegistered");
        }

        _tables[Summaries] = index;
    }

    public JsonObject Summary(Job job)
    {
        var summary = new JsonObject();
        foreach (var group in job.Groups)
        {
            var name = (string)group["Name"]!;
            var allocs = AllocTable.Values.Where(a => a.Job == job && a.TaskGroup == name).ToList();
            var queued = EvalTable.Values.Where(e => e.JobID == job.ID && e.Status == "blocked").Sum(e => e.QueuedAllocations.GetValueOrDefault(name));
            summary[name] = new JsonObject
            {
                ["Queued"] = queued,
                ["Complete"] = allocs.Count(a => a.ClientStatus == "complete"),
                ["Failed"] = allocs.Count(a => a.ClientStatus == "failed"),
                ["Running"] = allocs.Count(a => a.ClientStatus == "running"),
                ["Starting"] = allocs.Count(a => a.ClientStatus == "pending"),
                ["Lost"] = allocs.Count(a => a.ClientStatus == "lost"),
                ["Unknown"] = allocs.Count(a => a.ClientStatus == "unknown"),
            };
        }

        return new JsonObject
        {
            ["JobID"] = job.ID,
            ["Namespace"] = job.Namespace,
            ["Summary"] = summary,
            ["Children"] = new JsonObject { ["Pending"] = 0, ["Running"] = 0, ["Dead"] = 0 },
            ["CreateIndex"] = job.CreateIndex,
            ["ModifyIndex"] = Math.Max(job.SummaryModifyIndex, job.ModifyIndex),
        };
    }

    public JsonObject JobStub(Job job, bool meta)
    {
        var spec = job.Spec;
        var stub = new JsonObject
        {
            ["ID"] = job.ID,
            ["ParentID"] = (string?)spec["ParentID"] ?? "",
            ["Name"] = job.Name,
            ["Namespace"] = job.Namespace,
            ["Datacenters"] = spec["Datacenters"]?.DeepClone(),
            ["Multiregion"] = null,
            ["Type"] = job.Type,
            ["Priority"] = (int?)spec["Priority"] ?? 50,
            ["Periodic"] = false,
            ["ParameterizedJob"] = false,
            ["Stop"] = job.Stop,
            ["Status"] = job.Status,
            ["StatusDescription"] = "",
            ["JobSummary"] = Summary(job),
            ["CreateIndex"] = job.CreateIndex,
            ["ModifyIndex"] = job.ModifyIndex,
            ["JobModifyIndex"] = job.JobModifyIndex,
            ["SubmitTime"] = job.SubmitTime,
            ["NodePool"] = (string?)spec["NodePool"],
        };
        if (meta)
        {
            stub["Meta"] = spec["Meta"]?.DeepClone() ?? new JsonObject();
        }

        return stub;
    }
}
