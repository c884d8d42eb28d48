using System.Diagnostics;
using Polydev.Contracts.Executions;
using Polydev.Server.Pools;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Executions;

/// <summary>
/// Starts an allocated execution: hands the sealed job to its waiting agent without opening it, relays the output
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
        var process = agent.Process;
        var result = new RelayResult(0, 0, false, null);
        int? exitCode = null;
        string? problem = null;
        try
        {
            await AgentJob.SendAsync(process, sealedJob, execution.Stopping);
            result = await relay.RelayAsync(execution, process.Stdout);
            if (execution.StopReason is null)
            {
                exitCode = await process.WaitForExitAsync(execution.Stopping);
                await agent.StderrDrained(TimeSpan.FromSeconds(2));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SandboxEngineException or IOException)
        {
            problem = execution.StopReason is null ? e.Message : null;
        }

        var (state, reason) = await outcomes.DecideAsync(execution, result.SawFinal, exitCode, result.Problem ?? problem);
        await finisher.FinishAsync(execution, state, reason, exitCode, result.OutputBytes, result.Chunks, agent.Stderr);
    }
}
