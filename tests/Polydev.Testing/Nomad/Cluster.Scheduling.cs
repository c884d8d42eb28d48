using System.Text.Json.Nodes;

namespace Polydev.Testing.Nomad;

/// <summary>What a state change leaves for the client nodes to do once <see cref="Cluster.Gate"/> is released.</summary>
internal sealed class Effects
{
    public List<Allocation> Start { get; } = [];
    public List<Allocation> Stop { get; } = [];
    public List<Allocation> Lost { get; } = [];
    public List<Evaluation> Evaluate { get; } = [];
}

internal sealed partial class Cluster
{
    public static string NewId() => Guid.NewGuid().ToString();

    /// <summary>Under <see cref="Gate"/>: a new pending evaluation for the job, processed after the current change commits.</summary>
    public Evaluation NewEval(string ns, string jobId, string type, string triggeredBy, int priority, ulong jobModifyIndex, Effects effects, string nodeId = "")
    {
        var eval = new Evaluation
        {
            ID = NewId(),
            Namespace = ns,
            JobID = jobId,
            Type = type,
            TriggeredBy = triggeredBy,
            Priority = priority,
            JobModifyIndex = jobModifyIndex,
            NodeID = nodeId,
        };
        EvalTable[eval.ID] = eval;
        effects.Evaluate.Add(eval);
        return eval;
    }

    /// <summary>Runs what <paramref name="effects"/> holds: evaluations on the scheduler, tasks on the client nodes.</summary>
    public void Apply(Effects effects)
    {
        foreach (var alloc in effects.Start)
        {
            Client.Start(alloc);
        }

        foreach (var alloc in effects.Stop)
        {
            Client.Stop(alloc);
        }

        foreach (var alloc in effects.Lost)
        {
            Client.Lose(alloc);
        }

        foreach (var eval in effects.Evaluate)
        {
            _ = Task.Run(() => Process(eval));
        }
    }

    /// <summary>The scheduler's worker: one evaluation, committed as one change (like a plan applied at one index).</summary>
    public void Process(Evaluation eval)
    {
        var effects = new Effects();
        lock (Gate)
        {
            if (eval.Status is not ("pending" or "blocked") || !EvalTable.ContainsKey(eval.ID))
            {
                return;
            }

            ProcessLocked(eval, effects);
        }

        Apply(effects);
    }

    private void ProcessLocked(Evaluation eval, Effects effects)
    {
        var wasBlocked = eval.Status == "blocked";
        JobTable.TryGetValue((eval.Namespace, eval.JobID), out var job);
        var failures = new JsonObject();
        var queued = new Dictionary<string, int>();
        var changed = new List<Allocation>();
        var placed = new List<Allocation>();
        if (job is null || job.Stop)
        {
            foreach (var alloc in AllocTable.Values.Where(a => a.Job.ID == eval.JobID && a.Namespace == eval.Namespace && a.DesiredStatus == "run"))
            {
                alloc.DesiredStatus = "stop";
                alloc.DesiredDescription = "alloc not needed due to job update";
                changed.Add(alloc);
                if (!alloc.ClientTerminal)
                {
                    effects.Stop.Add(alloc);
                }
            }
        }
        else if (job.Type is "system" or "sysbatch")
        {
            ReconcileSystem(job, eval, changed, placed, failures, queued);
        }
        else
        {
            ReconcileGeneric(job, eval, changed, placed, failures, queued, effects);
        }

        var index = Commit(Evals, Allocs, Summaries);
        eval.Status = "complete";
        eval.FailedTGAllocs = failures.Count > 0 ? failures : null;
        eval.QueuedAllocations = queued;
        eval.ModifyIndex = index;
        eval.ModifyTime = NomadTime.NowNanos();
        if (failures.Count > 0)
        {
            if (wasBlocked)
            {
                // Still nothing fits: Nomad re-blocks the same evaluation.
                eval.Status = "blocked";
                eval.StatusDescription = "created due to placement conflicts";
            }
            else
            {
                foreach (var old in EvalTable.Values.Where(e => e.JobID == eval.JobID && e.Namespace == eval.Namespace && e.Status == "blocked").ToList())
                {
                    old.Status = "canceled";
                    old.StatusDescription = "evaluation is outdated";
                    old.ModifyIndex = index;
                    PublishEval(old);
                }

                var blocked = new Evaluation
                {
                    ID = NewId(),
                    Namespace = eval.Namespace,
                    JobID = eval.JobID,
                    Type = eval.Type,
                    TriggeredBy = "queued-allocs",
                    Priority = eval.Priority,
                    JobModifyIndex = eval.JobModifyIndex,
                    PreviousEval = eval.ID,
                    Status = "blocked",
                    StatusDescription = "created due to placement conflicts",
                    QueuedAllocations = new Dictionary<string, int>(queued),
                    CreateIndex = index,
                    ModifyIndex = index,
                };
                EvalTable[blocked.ID] = blocked;
                eval.BlockedEval = blocked.ID;
                PublishEval(blocked);
            }
        }

        PublishEval(eval);
        foreach (var alloc in placed)
        {
            alloc.CreateIndex = index;
            alloc.EvalID = eval.ID;
            AllocTable[alloc.ID] = alloc;
            effects.Start.Add(alloc);
        }

        foreach (var alloc in changed.Concat(placed).Distinct())
        {
            Touch(alloc, index, server: true);
        }

        if (job is not null)
        {
            RefreshJob(job, index);
        }
    }

    private void ReconcileSystem(Job job, Evaluation eval, List<Allocation> changed, List<Allocation> placed, JsonObject failures, Dictionary<string, int> queued)
    {
        foreach (var group in job.Groups)
        {
            var name = (string)group["Name"]!;
            foreach (var node in NodeList.Where(n => n.Status == "ready" && n.Eligibility == "eligible" && !n.Drain))
            {
                if (AllocTable.Values.Any(a => a.Job == job && a.TaskGroup == name && a.Node == node && a.DesiredStatus == "run" && (job.Type == "sysbatch" || !a.ClientTerminal)))
                {
                    continue;
                }

                var placement = Scheduler.Place(NodeList, AllocTable.Values.Concat(placed), job.Spec, group, node);
                if (placement.Node is null)
                {
                    // A system job places only where it is feasible; nodes filtered out are not failures.
                    if ((int)placement.Metric["NodesExhausted"]! > 0)
                    {
                        failures[name] = placement.Metric;
                        queued[name] = queued.GetValueOrDefault(name) + 1;
                    }

                    continue;
                }

                placed.Add(NewAlloc(job, group, placement.Node, eval, previous: null, index: placed.Count(p => p.TaskGroup == name)));
            }
        }

        _ = changed;
    }

    private void ReconcileGeneric(Job job, Evaluation eval, List<Allocation> changed, List<Allocation> placed, JsonObject failures, Dictionary<string, int> queued, Effects effects)
    {
        foreach (var group in job.Groups)
        {
            var name = (string)group["Name"]!;
            var count = (int?)group["Count"] ?? 1;
            var heads = AllocTable.Values.Where(a => a.Job == job && a.TaskGroup == name && a.NextAllocation == "").OrderBy(a => a.CreateIndex).ToList();
            var occupied = new List<Allocation>();
            var replace = new List<Allocation>();
            foreach (var a in heads)
            {
                var current = ((ulong?)a.JobSnapshot["JobModifyIndex"] ?? 0) == job.JobModifyIndex;
                if (a.DesiredStatus == "run" && !a.ClientTerminal)
                {
                    if (!current)
                    {
                        // A destructive update: the old allocation is stopped and a new one placed.
                        StopLocked(a, "alloc is being updated due to job update", changed, effects);
                    }
                    else if (a.Migrate)
                    {
                        replace.Add(a);
                    }
                    else
                    {
                        occupied.Add(a);
                    }
                }
                else if (a.ClientStatus == "lost" || (a.Migrate && !a.DrainStopped))
                {
                    // Lost allocations are replaced whatever the reschedule policy says; so are migrated ones.
                    replace.Add(a);
                }
                else if (a.ClientStatus == "complete" && a.DesiredStatus == "run" && (job.Type == "batch" || current))
                {
                    occupied.Add(a);
                }
                else if (a.ClientStatus == "failed" && a.DesiredStatus == "run")
                {
                    if (current && Reschedulable(job, group, a))
                    {
                        replace.Add(a);
                    }
                    else if (current)
                    {
                        occupied.Add(a);
                    }
                }
                else if (a.DrainStopped)
                {
                    occupied.Add(a);
                }
            }

            // Scale down: the newest live allocations beyond the count are stopped.
            foreach (var extra in occupied.Where(a => !a.ClientTerminal).Reverse().Take(Math.Max(0, occupied.Count - count)).ToList())
            {
                StopLocked(extra, "alloc not needed due to job update", changed, effects);
                occupied.Remove(extra);
            }

            var wanted = new List<Allocation?>();
            wanted.AddRange(replace.Take(Math.Max(0, count - occupied.Count)));
            while (occupied.Count + wanted.Count < count)
            {
                wanted.Add(null);
            }

            foreach (var previous in replace.Except(wanted.OfType<Allocation>()))
            {
                if (previous.DesiredStatus == "run")
                {
                    StopLocked(previous, "alloc not needed due to job update", changed, effects);
                }
            }

            var failed = 0;
            JsonObject? metric = null;
            foreach (var previous in wanted)
            {
                var placement = Scheduler.Place(NodeList, AllocTable.Values.Where(a => !a.Terminal || !a.ClientTerminal).Concat(placed), job.Spec, group);
                if (previous is { DesiredStatus: "run" } && previous.Migrate)
                {
                    StopLocked(previous, "alloc is being migrated", changed, effects);
                }

                if (placement.Node is null)
                {
                    failed++;
                    metric ??= placement.Metric;
                    continue;
                }

                var alloc = NewAlloc(job, group, placement.Node, eval, previous, index: occupied.Count + placed.Count(p => p.TaskGroup == name));
                if (previous is not null)
                {
                    previous.NextAllocation = alloc.ID;
                    changed.Add(previous);
                }

                placed.Add(alloc);
            }

            if (metric is not null)
            {
                metric["CoalescedFailures"] = failed - 1;
                failures[name] = metric;
                queued[name] = failed;
            }
        }
    }

    private bool Reschedulable(Job job, JsonObject group, Allocation alloc)
    {
        var policy = group["ReschedulePolicy"] as JsonObject ?? job.Spec["Reschedule"] as JsonObject;
        var unlimited = (bool?)policy?["Unlimited"] ?? job.Type == "service";
        var attempts = (int?)policy?["Attempts"] ?? (job.Type == "batch" ? 1 : 0);
        if (unlimited)
        {
            return true;
        }

        var previous = 0;
        for (var p = alloc.PreviousAllocation; p != "" && p is not null;)
        {
            previous++;
            p = AllocTable.GetValueOrDefault(p)?.PreviousAllocation;
        }

        return previous < attempts;
    }

    private Allocation NewAlloc(Job job, JsonObject group, Node node, Evaluation eval, Allocation? previous, int index)
    {
        var groupName = (string)group["Name"]!;
        var alloc = new Allocation
        {
            ID = NewId(),
            Namespace = job.Namespace,
            EvalID = eval.ID,
            Name = $"{job.ID}.{groupName}[{(previous is null ? index : AllocIndex(previous))}]",
            Node = node,
            Job = job,
            JobSnapshot = job.Full(),
            Group = (JsonObject)group.DeepClone(),
            PreviousAllocation = previous?.ID ?? "",
        };
        foreach (var task in (group["Tasks"] as JsonArray ?? []).OfType<JsonObject>())
        {
            alloc.TaskStates[(string)task["Name"]!] = new TaskState();
        }

        return alloc;
    }

    private static int AllocIndex(Allocation alloc)
    {
        var open = alloc.Name.LastIndexOf('[');
        return open >= 0 && int.TryParse(alloc.Name[(open + 1)..^1], out var i) ? i : 0;
    }

    /// <summary>Under <see cref="Gate"/>: the server marks the allocation to stop; the client stops it once the change commits.</summary>
    public void StopLocked(Allocation alloc, string description, List<Allocation> changed, Effects effects)
    {
        if (alloc.DesiredStatus != "run")
        {
            return;
        }

        alloc.DesiredStatus = "stop";
        alloc.DesiredDescription = description;
        changed.Add(alloc);
        if (!alloc.ClientTerminal)
        {
            effects.Stop.Add(alloc);
        }
    }

    /// <summary>Under <see cref="Gate"/>: retries every blocked evaluation (capacity may have freed).</summary>
    public void UnblockLocked(Effects effects)
    {
        foreach (var blocked in EvalTable.Values.Where(e => e.Status == "blocked").ToList())
        {
            effects.Evaluate.Add(blocked);
        }
    }

    /// <summary>Registers (or updates) a job: its record, a pending evaluation; the scheduler runs right after.</summary>
    public (Job Job, Evaluation? Eval, ulong Index) Register(JsonObject spec)
    {
        var effects = new Effects();
        Job job;
        Evaluation? eval = null;
        ulong index;
        lock (Gate)
        {
            var key = ((string)spec["Namespace"]!, (string)spec["ID"]!);
            index = Commit(Jobs, Evals, Summaries);
            if (JobTable.TryGetValue(key, out var existing))
            {
                job = existing;
                var changed = !JsonNode.DeepEquals(Strip(existing.Spec), Strip(spec)) || existing.Stop;
                if (changed)
                {
                    job.Version++;
                    job.JobModifyIndex = index;
                }

                job.Spec = spec;
                job.Stop = false;
            }
            else
            {
                job = new Job { Spec = spec, CreateIndex = index, JobModifyIndex = index, SubmitTime = NomadTime.NowNanos() };
                JobTable[key] = job;
            }

            job.ModifyIndex = index;
            job.SubmitTime = NomadTime.NowNanos();
            job.SummaryModifyIndex = index;
            if (job.Type != "system" || NodeList.Count > 0)
            {
                eval = NewEval(job.Namespace, job.ID, job.Type, "job-register", (int?)spec["Priority"] ?? 50, job.JobModifyIndex, effects);
                eval.CreateIndex = index;
                eval.ModifyIndex = index;
                PublishEval(eval);
            }

            job.Status = JobStatus(job);
            PublishJob(job, "JobRegistered");
        }

        Apply(effects);
        return (job, eval, index);
    }

    private static JsonObject Strip(JsonObject spec)
    {
        var copy = (JsonObject)spec.DeepClone();
        foreach (var field in new[] { "Status", "Stop", "Version", "CreateIndex", "ModifyIndex", "JobModifyIndex", "SubmitTime", "StatusDescription", "Stable" })
        {
            copy.Remove(field);
        }

        return copy;
    }

    /// <summary>Stops a job (and removes it with <paramref name="purge"/>): every allocation is stopped by an evaluation.</summary>
    public (Evaluation Eval, ulong Index, ulong JobModifyIndex)? Deregister(string ns, string id, bool purge)
    {
        var effects = new Effects();
        Evaluation eval;
        ulong index;
        ulong jobModifyIndex;
        lock (Gate)
        {
            if (!JobTable.TryGetValue((ns, id), out var job))
            {
                return null;
            }

            index = Commit(Jobs, Evals, Summaries);
            job.Stop = true;
            job.ModifyIndex = index;
            job.JobModifyIndex = index;
            jobModifyIndex = index;
            if (purge)
            {
                JobTable.Remove((ns, id));
                PublishJob(job, "JobDeregistered");
                foreach (var alloc in AllocTable.Values.Where(a => a.Job == job))
                {
                    alloc.JobPurged = true;
                }
            }
            else
            {
                job.Status = "dead";
                PublishJob(job, "JobDeregistered");
            }

            foreach (var blocked in EvalTable.Values.Where(e => e.JobID == id && e.Namespace == ns && e.Status == "blocked"))
            {
                blocked.Status = "canceled";
                blocked.StatusDescription = "job deregistered";
                blocked.ModifyIndex = index;
                PublishEval(blocked);
            }

            eval = NewEval(ns, id, job.Type, "job-deregister", (int?)job.Spec["Priority"] ?? 50, index, effects);
            eval.CreateIndex = index;
            eval.ModifyIndex = index;
            PublishEval(eval);
        }

        Apply(effects);
        if (purge)
        {
            List<Allocation> done;
            lock (Gate)
            {
                done = [.. AllocTable.Values.Where(a => a.JobPurged && a.Job.ID == id && a.Namespace == ns && a.ClientTerminal)];
            }

            foreach (var alloc in done)
            {
                Client.Collect(alloc);
            }
        }

        return (eval, index, jobModifyIndex);
    }

    /// <summary><c>POST /v1/allocation/:id/stop</c>: stop it and have the scheduler place a replacement.</summary>
    public (Evaluation Eval, ulong Index)? StopAllocation(string id)
    {
        var effects = new Effects();
        Evaluation eval;
        ulong index;
        lock (Gate)
        {
            if (!AllocTable.TryGetValue(id, out var alloc))
            {
                return null;
            }

            index = Commit(Allocs, Evals);
            alloc.Migrate = true;
            var changed = new List<Allocation>();
            StopLocked(alloc, "alloc was stopped by the user", changed, effects);
            Touch(alloc, index, server: true);
            eval = NewEval(alloc.Namespace, alloc.Job.ID, alloc.Job.Type, "alloc-stop", 50, alloc.Job.JobModifyIndex, effects);
            eval.CreateIndex = index;
            eval.ModifyIndex = index;
            PublishEval(eval);
        }

        Apply(effects);
        return (eval, index);
    }

    /// <summary><c>PUT /v1/system/gc</c>: forget terminal allocations, finished evaluations and stopped jobs.</summary>
    public void CollectGarbage()
    {
        var removed = new List<Allocation>();
        lock (Gate)
        {
            var index = Commit(Jobs, Allocs, Evals, Summaries);
            foreach (var alloc in AllocTable.Values.Where(a => a.Terminal && a.ClientTerminal).ToList())
            {
                AllocTable.Remove(alloc.ID);
                removed.Add(alloc);
            }

            foreach (var (key, job) in JobTable.Where(p => p.Value.Stop || p.Value.Status == "dead").ToList())
            {
                if (!AllocTable.Values.Any(a => a.Job == job))
                {
                    JobTable.Remove(key);
                    PublishJob(job, "JobDeregistered");
                }
            }

            foreach (var eval in EvalTable.Values.Where(e => e.Status is "complete" or "canceled" or "failed").ToList())
            {
                if (!AllocTable.Values.Any(a => a.EvalID == eval.ID))
                {
                    EvalTable.Remove(eval.ID);
                }
            }

            _ = index;
        }

        foreach (var alloc in removed)
        {
            Client.Collect(alloc);
        }
    }
}
