using Polydev.Contracts.Executions;
using Polydev.Server.Pools;

namespace Polydev.Server.Executions;

/// <summary>
/// Ends an execution once, whoever ends it (its runner, its start window, a cancel, shutdown): records the end,
/// completes the live output, revokes its proxy token and retires its sandbox.
/// </summary>
public sealed class ExecutionFinisher(
    ExecutionStore store,
    ActiveExecutions active,
    EgressAccess egress,
    SandboxAllocator sandboxes,
    ExecutionTelemetry telemetry)
{
    /// <param name="agentStderr">What the agent said on stderr, logged when the execution did not succeed.</param>
    public async Task FinishAsync(ActiveExecution execution, string state, string reason, int? exitCode, long outputBytes, long chunks, string? agentStderr = null)
    {
        if (!execution.TryClaimEnd())
        {
            return;
        }

        var record = execution.Record;
        try
        {
            // Revoked before the end is recorded: an execution anyone sees as ended never has a working egress token.
            await egress.RevokeAsync(Guid.Parse(record.UserId), record.EgressTokenId);
            await store.FinishAsync(record.Id, state, reason, exitCode, outputBytes, chunks, CancellationToken.None);
        }
        finally
        {
            execution.Output.Complete();
            active.Remove(record.Id);
            telemetry.Finished(record, state, reason, exitCode, chunks, outputBytes, execution.Started);
            await sandboxes.RetireAsync(execution.Sandbox, reason == ExecutionReasons.Completed ? "used" : reason, CancellationToken.None);
        }

        if (agentStderr is not null && state != ExecutionStates.Succeeded)
        {
            telemetry.AgentStderr(record.Id, exitCode, agentStderr);
        }
    }

    /// <summary>Ends an execution that never started (cancelled, expired, or the server stopping).</summary>
    public async Task EndUnstartedAsync(ActiveExecution execution, string state, string reason)
    {
        execution.Stop(reason);
        await FinishAsync(execution, state, reason, null, 0, 0);
    }
}
