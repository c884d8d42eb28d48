using Polydev.Agent.Protocol;
using Polydev.Contracts.Executions;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Agents;

namespace Polydev.Server.Executions;

/// <summary>
/// How an execution ended, from what the server can know without reading its output: who stopped it, what the
/// engine says of the sandbox (gone, OOM-killed), how the agent channel ended (the agent's exit reason, or lost) and
/// whether its final frame came.
/// </summary>
public sealed class ExecutionOutcomes(ISandboxEngine engine, TimeProvider clock, ExecutionTelemetry telemetry)
{
    public async Task<(string State, string Reason)> DecideAsync(ActiveExecution active, bool sawFinal, AgentEnd? end, string? streamProblem)
    {
        telemetry.AgentEnded(active.Record.Provider, end);
        if (active.StopReason is { } stopped)
        {
            return (stopped == ExecutionReasons.Cancelled ? ExecutionStates.Cancelled : ExecutionStates.Failed, stopped);
        }

        var status = await InspectQuietlyAsync(active);

        // A sandbox killed from outside cuts the agent's streams a moment before the engine reports it gone: when
        // the stream broke off, look again before blaming the agent.
        for (var i = 0; i < 10 && !sawFinal && status is { State: SandboxEngineState.Running, OomKilled: false }; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), clock);
            status = await InspectQuietlyAsync(active);
        }

        if (status is { NodeLost: true })
        {
            return (ExecutionStates.Failed, ExecutionReasons.NodeLost);
        }

        if (status is { OomKilled: true })
        {
            return (ExecutionStates.Failed, ExecutionReasons.OutOfMemory);
        }

        if (sawFinal && end?.Exit?.Reason == AgentExitReason.Ok)
        {
            return (ExecutionStates.Succeeded, ExecutionReasons.Completed);
        }

        if (status is null or { State: not SandboxEngineState.Running })
        {
            return (ExecutionStates.Failed, ExecutionReasons.SandboxLost);
        }

        if (end?.Exit?.Reason is AgentExitReason.JobRefused or AgentExitReason.NoKey)
        {
            return (ExecutionStates.Failed, ExecutionReasons.JobRefused);
        }

        telemetry.StreamProblem(active.Record.Id, streamProblem ?? end?.ToString() ?? "the agent sent no exit frame in time");
        return (ExecutionStates.Failed, ExecutionReasons.AgentError);
    }

    private async Task<SandboxStatus?> InspectQuietlyAsync(ActiveExecution active)
    {
        try
        {
            return await engine.InspectAsync(active.Sandbox.Handle, CancellationToken.None);
        }
        catch (SandboxEngineException)
        {
            return null;
        }
    }
}
