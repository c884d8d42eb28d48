using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Polydev.Testing.Nomad;

/// <summary>
/// Placement as Nomad's generic and system schedulers do it for the subset used here: feasibility (ready, eligible,
/// not draining, datacenter, node pool, the docker driver, constraints), then fit (CPU MHz and memory MB of the
/// node's non-terminal allocations, MemoryMB not MemoryMaxMB), then bin packing (the fullest node that fits wins).
/// </summary>
internal static class Scheduler
{
    public static (int Cpu, int MemoryMB, int MemoryMaxMB, int Cores) TaskAsk(JsonObject task)
    {
        var resources = task["Resources"] as JsonObject;
        var cpu = (int?)resources?["CPU"] ?? 100;
        var memory = (int?)resources?["MemoryMB"] ?? 300;
        var memoryMax = (int?)resources?["MemoryMaxMB"] ?? 0;
        var cores = (int?)resources?["Cores"] ?? 0;
        return (cpu, memory, memoryMax, cores);
    }

    public static (int Cpu, int MemoryMB) GroupAsk(JsonObject group)
    {
        int cpu = 0, memory = 0;
        foreach (var task in (group["Tasks"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var ask = TaskAsk(task);
            cpu += ask.Cores > 0 ? 0 : ask.Cpu;
            memory += ask.MemoryMB;
        }

        return (cpu, memory);
    }

    public static int GroupCores(JsonObject group) =>
        (group["Tasks"] as JsonArray ?? []).OfType<JsonObject>().Sum(t => TaskAsk(t).Cores);

    /// <summary>A node's CPU shares for an ask of cores (reserved cores count their MHz).</summary>
    public static int CpuOf(Allocation alloc) =>
        alloc.Asked.Cpu + GroupCores(alloc.Group) * alloc.Node.Options.MhzPerCore;

    /// <summary>Every constraint of the job, the group and its tasks, as Nomad merges them.</summary>
    public static IEnumerable<JsonObject> Constraints(JsonObject job, JsonObject group)
    {
        foreach (var c in (job["Constraints"] as JsonArray ?? []).OfType<JsonObject>())
        {
            yield return c;
        }

        foreach (var c in (group["Constraints"] as JsonArray ?? []).OfType<JsonObject>())
        {
            yield return c;
        }

        foreach (var task in (group["Tasks"] as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var c in (task["Constraints"] as JsonArray ?? []).OfType<JsonObject>())
            {
                yield return c;
            }
        }
    }

    public static string ConstraintText(JsonObject c) =>
        $"{(string?)c["LTarget"] ?? ""} {(string?)c["Operand"] ?? "="} {(string?)c["RTarget"] ?? ""}";

    /// <summary>Resolves <c>${attr.X}</c>, <c>${meta.X}</c>, <c>${node.*}</c>; a literal otherwise. Null when the target is unset.</summary>
    public static string? Resolve(string target, Node node)
    {
        if (!target.StartsWith("${", StringComparison.Ordinal) || !target.EndsWith('}'))
        {
            return target;
        }

        var name = target[2..^1];
        return name switch
        {
            "node.unique.id" => node.ID,
            "node.unique.name" => node.Name,
            "node.datacenter" => node.Options.Datacenter,
            "node.class" => node.Options.NodeClass,
            "node.pool" => node.Options.NodePool,
            "node.region" => null,
            _ when name.StartsWith("attr.", StringComparison.Ordinal) => node.Attributes.GetValueOrDefault(name[5..]),
            _ when name.StartsWith("meta.", StringComparison.Ordinal) => node.Meta.GetValueOrDefault(name[5..]),
            _ => null,
        };
    }

    public static bool Satisfies(JsonObject constraint, Node node)
    {
        var operand = (string?)constraint["Operand"] ?? "=";
        var l = Resolve((string?)constraint["LTarget"] ?? "", node);
        var r = Resolve((string?)constraint["RTarget"] ?? "", node);
        switch (operand)
        {
            case "distinct_hosts":
            case "distinct_property":
                return true;
            case "is_set":
                return l is not null;
            case "is_not_set":
                return l is null;
        }

        if (l is null || r is null)
        {
            return false;
        }

        return operand switch
        {
            "=" or "==" or "is" => l == r,
            "!=" or "not" => l != r,
            "regexp" => Regex.IsMatch(l, r),
            "set_contains" or "set_contains_all" => r.Split(',').Select(s => s.Trim()).All(x => l.Split(',').Select(s => s.Trim()).Contains(x)),
            "set_contains_any" => r.Split(',').Select(s => s.Trim()).Any(x => l.Split(',').Select(s => s.Trim()).Contains(x)),
            "<" or "<=" or ">" or ">=" => Compare(l, r, operand),
            "version" or "semver" => true,
            _ => false,
        };
    }

    private static bool Compare(string l, string r, string operand)
    {
        var c = double.TryParse(l, out var a) && double.TryParse(r, out var b) ? a.CompareTo(b) : string.CompareOrdinal(l, r);
        return operand switch { "<" => c < 0, "<=" => c <= 0, ">" => c > 0, _ => c >= 0 };
    }

    public static bool DatacenterMatches(JsonObject job, Node node)
    {
        var dcs = (job["Datacenters"] as JsonArray ?? []).Select(d => (string?)d ?? "").ToList();
        if (dcs.Count == 0)
        {
            dcs.Add("*");
        }

        return dcs.Any(dc => Glob(dc, node.Options.Datacenter));
    }

    public static bool PoolMatches(JsonObject job, Node node)
    {
        var pool = (string?)job["NodePool"];
        return string.IsNullOrEmpty(pool) || pool == "all" || pool == node.Options.NodePool;
    }

    private static bool Glob(string pattern, string value) =>
        Regex.IsMatch(value, "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$");

    /// <summary>The result of one placement attempt: the chosen node, or the metric that says why none.</summary>
    public sealed record Placement(Node? Node, JsonObject Metric);

    public static Placement Place(IReadOnlyList<Node> nodes, IEnumerable<Allocation> live, JsonObject job, JsonObject group, Node? onlyNode = null)
    {
        var liveList = live.ToList();
        var inPool = nodes.Where(n => PoolMatches(job, n)).ToList();
        var ready = inPool.Where(n => n.Status == "ready" && n.Eligibility == "eligible" && !n.Drain && DatacenterMatches(job, n)).ToList();
        if (onlyNode is not null)
        {
            ready = [.. ready.Where(n => n == onlyNode)];
        }

        var available = new JsonObject();
        foreach (var dc in ready.GroupBy(n => n.Options.Datacenter))
        {
            available[dc.Key] = dc.Count();
        }

        int evaluated = 0, filtered = 0, exhausted = 0;
        var constraintFiltered = new Dictionary<string, int>();
        var dimensionExhausted = new Dictionary<string, int>();
        var classExhausted = new Dictionary<string, int>();
        var classFiltered = new Dictionary<string, int>();
        Node? best = null;
        var bestScore = double.MinValue;
        var (cpu, memory) = GroupAsk(group);
        var cores = GroupCores(group);
        foreach (var node in ready)
        {
            evaluated++;
            if (!node.Attributes.ContainsKey("driver.docker"))
            {
                filtered++;
                Count(constraintFiltered, "missing drivers");
                Count(classFiltered, node.Options.NodeClass);
                continue;
            }

            var failed = Constraints(job, group).FirstOrDefault(c => !Satisfies(c, node));
            if (failed is not null)
            {
                filtered++;
                Count(constraintFiltered, ConstraintText(failed));
                Count(classFiltered, node.Options.NodeClass);
                continue;
            }

            var onNode = liveList.Where(a => a.Node == node && !a.ClientTerminal).ToList();
            var usedCpu = onNode.Sum(CpuOf);
            var usedMemory = onNode.Sum(a => a.Asked.MemoryMB);
            var usedCores = onNode.Sum(a => GroupCores(a.Group));
            var needCpu = cpu + cores * node.Options.MhzPerCore;
            string? dimension = null;
            if (usedCpu + needCpu > node.TotalMhz)
            {
                dimension = "cpu";
            }
            else if (cores > 0 && usedCores + cores > node.Options.Cores)
            {
                dimension = "cores";
            }
            else if (usedMemory + memory > node.Options.MemoryMB)
            {
                dimension = "memory";
            }

            if (dimension is not null)
            {
                exhausted++;
                Count(dimensionExhausted, dimension);
                Count(classExhausted, node.Options.NodeClass);
                continue;
            }

            // Nomad's binpack score: 20 - (10^freeCpu + 10^freeMem), higher for fuller nodes.
            var freeCpu = 1.0 - (double)(usedCpu + needCpu) / node.TotalMhz;
            var freeMemory = 1.0 - (double)(usedMemory + memory) / node.Options.MemoryMB;
            var score = 20 - (Math.Pow(10, freeCpu) + Math.Pow(10, freeMemory));
            // Job anti-affinity: a node already running this job's group scores lower.
            var collisions = onNode.Count(a => a.Job.ID == (string?)job["ID"] && a.TaskGroup == (string?)group["Name"]);
            score -= collisions * 10;
            if (score > bestScore)
            {
                best = node;
                bestScore = score;
            }
        }

        var metric = new JsonObject
        {
            ["NodesEvaluated"] = evaluated,
            ["NodesFiltered"] = filtered,
            ["NodesInPool"] = inPool.Count,
            ["NodePool"] = string.IsNullOrEmpty((string?)job["NodePool"]) ? "default" : (string?)job["NodePool"],
            ["NodesAvailable"] = available,
            ["ClassFiltered"] = Map(classFiltered),
            ["ConstraintFiltered"] = Map(constraintFiltered),
            ["NodesExhausted"] = exhausted,
            ["ClassExhausted"] = Map(classExhausted),
            ["DimensionExhausted"] = Map(dimensionExhausted),
            ["QuotaExhausted"] = null,
            ["ResourcesExhausted"] = null,
            ["Scores"] = null,
            ["AllocationTime"] = 50_000,
            ["CoalescedFailures"] = 0,
            ["ScoreMetaData"] = null,
        };
        return new Placement(best, metric);
    }

    private static void Count(Dictionary<string, int> map, string key) => map[key] = map.GetValueOrDefault(key) + 1;

    private static JsonObject? Map(Dictionary<string, int> map)
    {
        if (map.Count == 0)
        {
            return null;
        }

        var o = new JsonObject();
        foreach (var (k, v) in map)
        {
            o[k] = v;
        }

        return o;
    }
}
