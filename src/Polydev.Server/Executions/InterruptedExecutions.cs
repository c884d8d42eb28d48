using Polydev.Server.Pools;

namespace Polydev.Server.Executions;

/// <summary>What a previous run of this server left: executions still allocated or running are failed (<c>server_restart</c>) and their proxy tokens revoked.</summary>
public sealed class InterruptedExecutions(ExecutionStore store, SandboxAllocator sandboxes, EgressAccess egress, ExecutionTelemetry telemetry)
{
    /// <summary>Before the server takes requests; also checks the egress proxy listens where sandboxes reach it.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        egress.EnsureReachable();
        var interrupted = await store.FailInterruptedAsync(sandboxes.ServerId, cancellationToken);
        foreach (var execution in interrupted)
        {
            await egress.RevokeAsync(Guid.Parse(execution.UserId), execution.EgressTokenId);
        }

        telemetry.Interrupted(interrupted.ToList());
    }
}
