using System.Text.Json.Nodes;

namespace Polydev.Testing.Nomad;

internal sealed partial class Cluster
{
    public void AddNode(NomadStandInNodeOptions options)
    {
        lock (Gate)
        {
            var index = Commit(Nodes);
            var attributes = new Dictionary<string, string>
            {
                ["kernel.name"] = "linux",
                ["os.name"] = "linux",
                ["arch"] = "amd64",
                ["cpu.arch"] = "amd64",
                ["driver.docker"] = "1",
                ["driver.docker.version"] = "28.2.2",
                ["driver.docker.os_type"] = "linux",
                ["driver.docker.privileged.enabled"] = Options.AllowPrivileged ? "true" : "false",
                ["driver.docker.volumes.enabled"] = Options.VolumesEnabled ? "true" : "false",
                ["cpu.frequency"] = options.MhzPerCore.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["cpu.numcores"] = options.Cores.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["cpu.totalcompute"] = (options.Cores * options.MhzPerCore).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["cpu.reservablecores"] = options.Cores.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["memory.totalbytes"] = ((long)options.MemoryMB << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["unique.hostname"] = options.Name,
                ["unique.network.ip-address"] = "127.0.0.1",
                ["nomad.version"] = NomadStandIn.Version,
                ["nomad.advertise.address"] = Address,
            };
            foreach (var (k, v) in options.Attributes)
            {
                attributes[k] = v;
            }

            var meta = new Dictionary<string, string>(Options.NodeMeta);
            foreach (var (k, v) in options.Meta)
            {
                meta[k] = v;
            }

            var node = new Node { ID = NewId(), Options = options, Attributes = attributes, Meta = meta, CreateIndex = index, ModifyIndex = index };
            node.Events.Add(NodeEvent("Cluster", "Node registered"));
            NodeList.Add(node);
            PublishNode(node, "NodeRegistration");
        }
    }

    private static JsonObject NodeEvent(string subsystem, string message) => new()
    {
        ["Message"] = message,
        ["Subsystem"] = subsystem,
        ["Details"] = null,
        ["Timestamp"] = NomadTime.Rfc3339(DateTimeOffset.UtcNow),
        ["CreateIndex"] = 0,
    };

    /// <summary>The node stops heartbeating: down, its allocations lost (and replaced), its containers killed at once.</summary>
    public async Task LoseNodeAsync(string name)
    {
        var effects = new Effects();
        lock (Gate)
        {
            var node = FindNode(name) ?? throw new ArgumentException($"no node {name}");
            if (node.Status == "down")
            {
                return;
            }

            var index = Commit(Nodes, Allocs, Evals, Services, Summaries);
            node.Status = "down";
            node.StatusDescription = "node heartbeat missed";
            node.ModifyIndex = index;
            node.Events.Add(NodeEvent("Cluster", "Node heartbeat missed"));
            PublishNode(node, "NodeEvent");
            var jobs = new HashSet<Job>();
            foreach (var alloc in AllocTable.Values.Where(a => a.Node == node && !a.ClientTerminal).ToList())
            {
                alloc.ClientStatus = "lost";
                alloc.ClientDescription = "";
                if (alloc.DesiredStatus == "run")
                {
                    alloc.DesiredStatus = "stop";
                    alloc.DesiredDescription = "alloc is lost since its node is down";
                }

                Touch(alloc, index, server: true);
                effects.Lost.Add(alloc);
                jobs.Add(alloc.Job);
            }

            RemoveServicesLocked(s => s.NodeID == node.ID, index);
            foreach (var job in jobs.Where(j => JobTable.ContainsValue(j)))
            {
                var eval = NewEval(job.Namespace, job.ID, job.Type, "node-update", (int?)job.Spec["Priority"] ?? 50, job.JobModifyIndex, effects, node.ID);
                eval.CreateIndex = index;
                eval.ModifyIndex = index;
                PublishEval(eval);
                RefreshJob(job, index);
            }
        }

        Apply(effects);
        await Client.WaitForLostAsync(effects.Lost);
    }

    /// <summary>The node heartbeats again: ready; blocked evaluations and system jobs get another chance.</summary>
    public Task RestoreNodeAsync(string name)
    {
        var effects = new Effects();
        lock (Gate)
        {
            var node = FindNode(name) ?? throw new ArgumentException($"no node {name}");
            if (node.Status == "ready")
            {
                return Task.CompletedTask;
            }

            var index = Commit(Nodes, Evals);
            node.Status = "ready";
            node.StatusDescription = "";
            node.ModifyIndex = index;
            node.Events.Add(NodeEvent("Cluster", "Node reregistered by heartbeat"));
            PublishNode(node, "NodeEvent");
            NodeChangedLocked(node, index, effects);
        }

        Apply(effects);
        return Task.CompletedTask;
    }

    /// <summary>Under <see cref="Gate"/>: what a node becoming usable triggers: blocked evaluations and system jobs.</summary>
    private void NodeChangedLocked(Node node, ulong index, Effects effects)
    {
        UnblockLocked(effects);
        foreach (var job in JobTable.Values.Where(j => j.Type is "system" or "sysbatch" && !j.Stop))
        {
            var eval = NewEval(job.Namespace, job.ID, job.Type, "node-update", (int?)job.Spec["Priority"] ?? 50, job.JobModifyIndex, effects, node.ID);
            eval.CreateIndex = index;
            eval.ModifyIndex = index;
            PublishEval(eval);
        }
    }

    public (ulong Index, List<string> EvalIds)? SetEligibility(string id, bool eligible)
    {
        var effects = new Effects();
        ulong index;
        lock (Gate)
        {
            var node = FindNode(id);
            if (node is null)
            {
                return null;
            }

            if (node.Drain && eligible)
            {
                throw new InvalidOperationException("can not set node's scheduling eligibility to eligible while it is draining");
            }

            index = Commit(Nodes, Evals);
            node.Eligibility = eligible ? "eligible" : "ineligible";
            node.ModifyIndex = index;
            PublishNode(node, "NodeEligibility");
            if (eligible)
            {
                NodeChangedLocked(node, index, effects);
            }
        }

        Apply(effects);
        return (index, [.. effects.Evaluate.Select(e => e.ID)]);
    }

    /// <summary>
    /// <c>POST /v1/client/metadata</c> (dynamic node metadata, Nomad 1.5+): sets (or with null, removes) meta keys on a
    /// node. Without a node id the request is the local client agent's; the stand-in's nodes share one host, so it
    /// applies to every node (a guess, docs/nomad.md).
    /// </summary>
    public (ulong Index, List<string> EvalIds)? SetMeta(string? id, JsonObject meta)
    {
        var effects = new Effects();
        ulong index;
        lock (Gate)
        {
            var nodes = id is null ? [.. NodeList] : FindNode(id) is { } one ? new List<Node> { one } : [];
            if (nodes.Count == 0)
            {
                return null;
            }

            index = Commit(Nodes, Evals);
            foreach (var node in nodes)
            {
                foreach (var (key, value) in meta)
                {
                    if (value is null)
                    {
                        node.Meta.Remove(key);
                    }
                    else
                    {
                        node.Meta[key] = (string)value!;
                    }
                }

                node.ModifyIndex = index;
                PublishNode(node, "NodeMetadata");
                NodeChangedLocked(node, index, effects);
            }
        }

        Apply(effects);
        return (index, [.. effects.Evaluate.Select(e => e.ID)]);
    }

    /// <summary><c>POST /v1/node/:id/drain</c>: a spec starts (or replaces) a drain; null cancels it.</summary>
    public (ulong Index, List<string> EvalIds)? Drain(string id, JsonObject? spec, bool markEligible)
    {
        var effects = new Effects();
        ulong index;
        lock (Gate)
        {
            var node = FindNode(id);
            if (node is null)
            {
                return null;
            }

            index = Commit(Nodes, Evals);
            if (spec is null)
            {
                node.DrainStrategy = null;
                node.DrainDeadline = null;
                if (markEligible)
                {
                    node.Eligibility = "eligible";
                    NodeChangedLocked(node, index, effects);
                }

                node.Events.Add(NodeEvent("Drain", "Node drain strategy cleared"));
            }
            else
            {
                var deadline = (long?)spec["Deadline"] ?? 0;
                var now = DateTimeOffset.UtcNow;
                node.DrainForever = deadline == 0;
                node.DrainDeadline = deadline < 0 ? now : deadline == 0 ? null : now + TimeSpan.FromTicks(deadline / 100);
                node.DrainStrategy = new JsonObject
                {
                    ["Deadline"] = deadline,
                    ["IgnoreSystemJobs"] = (bool?)spec["IgnoreSystemJobs"] ?? false,
                    ["ForceDeadline"] = NomadTime.Rfc3339(node.DrainDeadline),
                    ["StartedAt"] = NomadTime.Rfc3339(now),
                };
                node.Eligibility = "ineligible";
                node.Events.Add(NodeEvent("Drain", "Node drain strategy set"));
                if (node.DrainDeadline is { } at && deadline > 0)
                {
                    _ = Task.Delay(at - now).ContinueWith(_ => DrainTick(node.ID), TaskScheduler.Default);
                }
            }

            node.ModifyIndex = index;
            PublishNode(node, "NodeDrain");
            if (spec is not null)
            {
                DrainStepLocked(node, index, effects);
            }
        }

        Apply(effects);
        return (index, [.. effects.Evaluate.Select(e => e.ID)]);
    }

    private void DrainTick(string nodeId)
    {
        var effects = new Effects();
        lock (Gate)
        {
            var node = FindNode(nodeId);
            if (node?.DrainStrategy is null)
            {
                return;
            }

            var index = Commit(Nodes, Allocs, Evals);
            DrainStepLocked(node, index, effects);
        }

        Apply(effects);
    }

    /// <summary>
    /// Under <see cref="Gate"/>: one step of the drainer, after Nomad's rules. Service allocations migrate at once
    /// (a replacement elsewhere, the old one stopped). Batch allocations are left to finish until the deadline, then
    /// stopped and not replaced. System allocations go last (unless ignored), stopped and not replaced. With nothing
    /// left to drain, the drain is done: the node stays ineligible.
    /// </summary>
    public void DrainStepLocked(Node node, ulong index, Effects effects)
    {
        if (node.DrainStrategy is null)
        {
            return;
        }

        var ignoreSystem = (bool?)node.DrainStrategy["IgnoreSystemJobs"] ?? false;
        var deadlinePassed = node.DrainDeadline is { } at && at <= DateTimeOffset.UtcNow;
        var live = AllocTable.Values.Where(a => a.Node == node && a.DesiredStatus == "run" && !a.ClientTerminal).ToList();
        var jobs = new HashSet<Job>();
        var changed = new List<Allocation>();
        foreach (var alloc in live.Where(a => a.Job.Type == "service" && !a.Migrate))
        {
            alloc.Migrate = true;
            changed.Add(alloc);
            jobs.Add(alloc.Job);
        }

        if (deadlinePassed)
        {
            foreach (var alloc in live.Where(a => a.Job.Type is "batch"))
            {
                alloc.DrainStopped = true;
                StopLocked(alloc, "alloc not needed as node is tainted", changed, effects);
            }
        }

        var others = live.Where(a => a.Job.Type is not ("system" or "sysbatch")).Except(changed).Any(a => !a.DrainStopped);
        if (!ignoreSystem && (deadlinePassed || !others))
        {
            foreach (var alloc in live.Where(a => a.Job.Type is "system" or "sysbatch"))
            {
                alloc.DrainStopped = true;
                StopLocked(alloc, "alloc not needed as node is tainted", changed, effects);
            }
        }

        foreach (var alloc in changed)
        {
            Touch(alloc, index, server: true);
        }

        foreach (var job in jobs)
        {
            var eval = NewEval(job.Namespace, job.ID, job.Type, "node-drain", (int?)job.Spec["Priority"] ?? 50, job.JobModifyIndex, effects, node.ID);
            eval.CreateIndex = index;
            eval.ModifyIndex = index;
            PublishEval(eval);
        }

        var remaining = AllocTable.Values.Any(a => a.Node == node && !a.ClientTerminal && (!ignoreSystem || a.Job.Type is not ("system" or "sysbatch")));
        if (!remaining)
        {
            node.DrainStrategy = null;
            node.DrainDeadline = null;
            node.ModifyIndex = index;
            node.Events.Add(NodeEvent("Drain", "Node drain complete"));
            PublishNode(node, "NodeDrain");
        }
    }

    public void RemoveServicesLocked(Func<Service, bool> which, ulong index)
    {
        foreach (var service in ServiceTable.Values.Where(which).ToList())
        {
            ServiceTable.Remove(service.ID);
            Publish("Service", "ServiceDeregistration", service.ServiceName, service.Namespace, [service.AllocID, service.JobID],
                new JsonObject { ["Service"] = service.Json() });
        }

        _tables[Services] = index;
    }
}
