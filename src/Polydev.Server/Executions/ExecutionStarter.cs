using System.Diagnostics;
using Polydev.Contracts.Executions;
using Polydev.Server.Pools;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Executions;

/// <summary>
/// Starts an allocated execution: hands the sealed job to its waiting agent over the agent channel without opening it, relays the output
/// (<see cref="OutputRelay"/>) until the agent's final frame, and ends the execution with the outcome
/// <see cref="ExecutionOutcomes"/> decides.
/// </summary>
public sealed class ExecutionStarter(
    ExecutionStore store,
    ActiveExecutions active,
    SandboxAllocator sandboxes,
    OutputRelay relay,
    ExecutionOutcomes outcomes,
    ExecutionFinisher finisher)
{
    public async Task<ExecutionRecord> StartAsync(Guid userId, Guid id, byte[] sealedJob, CancellationToken cancellationToken)
    {
        var record = await store.FindAsync(userId, id, cancellationToken)
            ?? throw new ExecutionRefusedException(ExecutionRefusal.NotFound, "No execution with this id.");
        if (record.State != ExecutionStates.Allocated)
        {
            throw new ExecutionRefusedException(ExecutionRefusal.Conflict, $"The execution is {record.State}; only an allocated execution can be started, once.");
        }

        if (!active.TryGet(record.Id, out var execution))
        {
            throw new ExecutionRefusedException(ExecutionRefusal.Conflict, "The execution's sandbox is no longer held by this server (it restarted); create a new execution.");
        }

        execution.Starting = true;
        if (!await store.MarkRunningAsync(record.Id, cancellationToken))
        {
            execution.Starting = false;
            throw new ExecutionRefusedException(ExecutionRefusal.Conflict, "The execution was started, cancelled or expired at the same moment.");
        }

        execution.Started = Stopwatch.GetTimestamp();
        await sandboxes.MarkExecutingAsync(execution.Sandbox, CancellationToken.None);
        execution.Runner = Task.Run(() => RunAsync(execution, sealedJob), CancellationToken.None);
        return (await store.FindAsync(userId, id, cancellationToken))!;
    }

    private async Task RunAsync(ActiveExecution execution, byte[] sealedJob)
    {
        using var deadline = relay.ArmDeadline(execution);
        var agent = execution.Sandbox.Agent;
        var result = new RelayResult(0, 0, false, null);
        string? problem = null;
        try
        {
            // The agent has waited on this channel since the sandbox warmed: the job is one frame away.
            await agent.SendJobAsync(sealedJob, execution.Stopping);
            result = await relay.RelayAsync(execution, agent);
        }
        catch (Exception e) when (e is OperationCanceledException or SandboxEngineException or IOException or ArgumentOutOfRangeException)
        {
            // ArgumentOutOfRange: a sealed job above the protocol's 16 MiB (Executions:MaxSealedJobBytes set higher).
            problem = execution.StopReason is null ? e.Message : null;
        }

        problem = result.Problem ?? problem;

        // Stopped by the server, or the stream went wrong: the agent kills the CLI and says so before the sandbox goes.
        var end = execution.StopReason is null && problem is null ? await agent.WaitForEndAsync() : await agent.CancelAsync();
        var (state, reason) = await outcomes.DecideAsync(execution, result.SawFinal, end, problem);
        if (state != ExecutionStates.Succeeded)
        {
            await agent.StderrDrained(TimeSpan.FromSeconds(1));
        }

        await finisher.FinishAsync(execution, state, reason, end?.Exit?.ExitStatus, result.OutputBytes, result.Chunks, agent.Stderr);
    }
}
