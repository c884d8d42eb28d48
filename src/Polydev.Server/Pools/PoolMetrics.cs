using Prometheus;

namespace Polydev.Server.Pools;

/// <summary>Pool series (<c>polydev_sandboxes*</c>, <c>polydev_sandbox_*</c>): by provider and state or path; never a user or a sandbox id.</summary>
public sealed class PoolMetrics
{
    public PoolMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        Sandboxes = factory.CreateGauge(
            "polydev_sandboxes",
            "Sandboxes this server holds, by provider and state (warming, ready, assigned, executing, cooldown).",
            "provider", "state");
        Allocation = factory.CreateHistogram(
            "polydev_sandbox_allocation_seconds",
            "Time to hand a sandbox to a new execution, by provider and path (warm: from the pool; cold: created on demand).",
            new HistogramConfiguration { LabelNames = ["provider", "path"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 18) });
        Cleanups = factory.CreateCounter(
            "polydev_sandbox_cleanups_total",
            "Sandboxes destroyed, by provider and reason (used, cancelled, idle_ttl, image_changed, unhealthy, warm_failed, drain, reconcile, lost).",
            "provider", "reason");
        WarmFailures = factory.CreateCounter(
            "polydev_sandbox_warm_failures_total",
            "Warm-ups that failed (engine error, missing image, agent key not made), by provider.",
            "provider");
        Refused = factory.CreateCounter(
            "polydev_sandbox_allocations_refused_total",
            "Allocations refused because the provider's ceiling was reached or its pool is disabled, by provider.",
            "provider");
    }

    public Gauge Sandboxes { get; }

    public Histogram Allocation { get; }

    public Counter Cleanups { get; }

    public Counter WarmFailures { get; }

    public Counter Refused { get; }
}
