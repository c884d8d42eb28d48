using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Executions;

/// <summary>The executions' metrics and logs in one place: ids, provider, states, reasons, sizes and times; never content.</summary>
public sealed class ExecutionTelemetry(ExecutionMetrics metrics, ILogger<ExecutionTelemetry> logger)
{
    public void Refused(string reason) => metrics.Refused.WithLabels(reason).Inc();

    public void Created(ExecutionRecord record, bool warm, TimeSpan allocation)
    {
        metrics.Active.WithLabels(record.Provider).Inc();
        ExecutionLog.Created(logger, record.Id, record.Provider, record.SandboxId ?? "", warm, allocation.TotalMilliseconds);
    }

    public void FirstChunk(string provider, long started) =>
        metrics.FirstChunk.WithLabels(provider).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);

    public void Output(string provider, int bytes) => metrics.OutputBytes.WithLabels(provider).Inc(bytes);

    /// <param name="started">The start's timestamp, 0 for an execution that never started.</param>
    public void Finished(ExecutionRecord record, string state, string reason, int? exitCode, long chunks, long outputBytes, long started)
    {
        metrics.Active.WithLabels(record.Provider).Dec();
        metrics.Outcomes.WithLabels(record.Provider, state, reason).Inc();
        if (started != 0)
        {
            metrics.Duration.WithLabels(record.Provider).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        ExecutionLog.Finished(logger, record.Id, record.Provider, state, reason, exitCode, chunks, outputBytes);
    }

    /// <summary>How the agent channel of a started execution ended (null: it did not end in time), and the phases its job reached.</summary>
    public void AgentEnded(string provider, Sandboxes.Agents.AgentEnd? end)
    {
        metrics.AgentEnds.WithLabels(provider, end?.Exit is { } exit ? System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(exit.Reason.ToString()) : "lost").Inc();
        if (end?.Exit?.Phases is not { } phases)
        {
            return;
        }

        var start = phases.CliStartedAhead ? "ahead" : "job";
        foreach (var (phase, milliseconds) in (ReadOnlySpan<(string, int?)>)[
            ("credential_placed", phases.CredentialPlacedMs), ("cli_spawned", phases.CliSpawnedMs), ("egress_first_byte", phases.EgressFirstByteMs),
            ("provider_first_byte", phases.ProviderFirstByteMs), ("first_text", phases.FirstTextMs), ("end", phases.EndMs)])
        {
            if (milliseconds is { } ms)
            {
                metrics.SandboxPhases.WithLabels(provider, phase, start).Observe(ms / 1000.0);
            }
        }
    }

    public void AgentStderr(string executionId, int? exitCode, string stderr) => ExecutionLog.AgentStderr(logger, executionId, exitCode, stderr);

    public void StreamProblem(string executionId, string problem) => ExecutionLog.StreamProblem(logger, executionId, problem);

    public void Interrupted(IReadOnlyCollection<ExecutionRecord> interrupted)
    {
        foreach (var execution in interrupted)
        {
            metrics.Outcomes.WithLabels(execution.Provider, Contracts.Executions.ExecutionStates.Failed, Contracts.Executions.ExecutionReasons.ServerRestart).Inc();
        }

        ExecutionLog.Interrupted(logger, interrupted.Count);
    }

    public void RevokeFailed(string tokenId, string problem) => ExecutionLog.RevokeFailed(logger, tokenId, problem);
}
