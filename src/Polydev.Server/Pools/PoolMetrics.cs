using Prometheus;

namespace Polydev.Server.Pools;

/// <summary>Pool series (<c>polydev_sandboxes*</c>, <c>polydev_sandbox_*</c>): by runtime kind and state or path; never a user or a sandbox id.</summary>
public sealed class PoolMetrics
{
    public PoolMetrics(CollectorRegistry registry)
    {
        Sandboxes = registry.Gauge(
            "polydev_sandboxes",
            "Sandboxes this server holds, by runtime kind and state (warming, ready, assigned, executing, cooldown).",
            "runtime", "state");
        Allocation = registry.Histogram(
            "polydev_sandbox_allocation_seconds",
            "Time to hand a sandbox to a new execution, by runtime kind and path (warm: from the pool; cold: created on demand).",
            Histogram.ExponentialBuckets(0.0005, 2, 18),
            "runtime", "path");
        Cleanups = registry.Counter(
            "polydev_sandbox_cleanups_total",
            "Sandboxes destroyed, by runtime kind and reason (used, cancelled, idle_ttl, image_changed, unhealthy, warm_failed, drain, reconcile, lost).",
            "runtime", "reason");
        WarmFailures = registry.Counter(
            "polydev_sandbox_warm_failures_total",
            "Warm-ups that failed (engine error, missing image, agent key not made), by runtime kind.",
            "runtime");
        WarmTarget = registry.Gauge(
            "polydev_sandbox_warm_target", "Ready sandboxes each pool keeps ahead of demand (Sandboxes:Runtimes:<kind>:WarmTarget), by runtime kind.", "runtime");
        Unaccounted = registry.Gauge(
            "polydev_sandboxes_unaccounted",
            "Sandboxes labelled as this server's on the engine that no pool accounts for, found by the last sweep (once a minute, each destroyed as found), by runtime kind.",
            "runtime");
        Refused = registry.Counter(
            "polydev_sandbox_allocations_refused_total",
            "Allocations refused because the kind's ceiling was reached or its pool is disabled, by runtime kind.",
            "runtime");
    }

    public Gauge Sandboxes { get; }

    public Histogram Allocation { get; }

    public Counter Cleanups { get; }

    public Counter WarmFailures { get; }

    public Gauge WarmTarget { get; }

    public Gauge Unaccounted { get; }

    public Counter Refused { get; }
}
