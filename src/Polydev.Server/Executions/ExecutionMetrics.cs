using Prometheus;

namespace Polydev.Server.Executions;

/// <summary>Execution series (<c>polydev_executions*</c>, <c>polydev_execution_*</c>): by provider and outcome; never a user.</summary>
public sealed class ExecutionMetrics(CollectorRegistry registry)
{
    public Counter Outcomes { get; } = registry.Counter(
        "polydev_executions_total",
        "Executions ended, by provider, state (succeeded, failed, cancelled) and reason (completed, cancelled, timeout, output_limit, out_of_memory, sandbox_lost, node_lost, job_refused, agent_error, server_restart, not_started).",
        "provider", "state", "reason");

    public Histogram Duration { get; } = registry.Histogram(
        "polydev_execution_duration_seconds", "Time from start to end of an execution, by provider.", Histogram.ExponentialBuckets(0.05, 2, 16), "provider");

    public Histogram FirstChunk { get; } = registry.Histogram(
        "polydev_execution_first_chunk_seconds", "Time from start to the first output chunk, by provider.", Histogram.ExponentialBuckets(0.005, 2, 16), "provider");

    public Gauge Active { get; } = registry.Gauge("polydev_executions_active", "Executions allocated or running on this server, by provider.", "provider");

    public Counter OutputBytes { get; } = registry.Counter("polydev_execution_output_bytes_total", "Ciphertext relayed from sandboxes, by provider.", "provider");

    public Counter AgentEnds { get; } = registry.Counter(
        "polydev_agent_channel_ends_total",
        "How running executions' agent channels ended, by provider and end: the agent's exit reason (ok, job_refused, cancelled, …) or lost (no exit frame: the agent died, went silent or broke the protocol).",
        "provider", "end");

    /// <summary>The agent's phases of each job (its exit frame: docs/agent-protocol.md), seconds since the job reached the sandbox.</summary>
    public Histogram SandboxPhases { get; } = registry.Histogram(
        "polydev_execution_sandbox_phase_seconds",
        "Time from the job reaching its sandbox's agent to each phase (credential_placed, cli_spawned, egress_first_byte, provider_first_byte, first_text, end), by provider and cli_start (ahead: the CLI was started while the sandbox waited; job: the job started it).",
        Histogram.ExponentialBuckets(0.005, 2, 16), "provider", "phase", "cli_start");

    public Counter Refused { get; } = registry.Counter("polydev_executions_refused_total", "Execution requests refused, by reason (concurrency, unavailable, bad_request).", "reason");
}
