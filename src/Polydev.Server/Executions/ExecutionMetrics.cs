using Prometheus;

namespace Polydev.Server.Executions;

/// <summary>Execution series (<c>polydev_executions*</c>, <c>polydev_execution_*</c>): by provider and outcome; never a user.</summary>
public sealed class ExecutionMetrics
{
    public ExecutionMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        Outcomes = factory.CreateCounter(
            "polydev_executions_total",
            "Executions ended, by provider, state (succeeded, failed, cancelled) and reason (completed, cancelled, timeout, output_limit, out_of_memory, sandbox_lost, job_refused, agent_error, server_restart, not_started).",
            "provider", "state", "reason");
        Duration = factory.CreateHistogram(
            "polydev_execution_duration_seconds",
            "Time from start to end of an execution, by provider.",
            new HistogramConfiguration { LabelNames = ["provider"], Buckets = Histogram.ExponentialBuckets(0.05, 2, 16) });
        FirstChunk = factory.CreateHistogram(
            "polydev_execution_first_chunk_seconds",
            "Time from start to the first output chunk, by provider.",
            new HistogramConfiguration { LabelNames = ["provider"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 16) });
        Active = factory.CreateGauge("polydev_executions_active", "Executions allocated or running on this server, by provider.", "provider");
        OutputBytes = factory.CreateCounter("polydev_execution_output_bytes_total", "Ciphertext relayed from sandboxes, by provider.", "provider");
        Refused = factory.CreateCounter(
            "polydev_executions_refused_total",
            "Execution requests refused, by reason (concurrency, unavailable, bad_request).",
            "reason");
    }

    public Counter Outcomes { get; }

    public Histogram Duration { get; }

    public Histogram FirstChunk { get; }

    public Gauge Active { get; }

    public Counter OutputBytes { get; }

    public Counter Refused { get; }
}
