using Microsoft.Extensions.Options;
using Polydev.Contracts.Executions;
using Polydev.Server.Pools;

namespace Polydev.Server.Executions;

/// <summary>Holds an allocated execution until it starts, and fails it (<c>not_started</c>) when its start window passes first.</summary>
public sealed class PendingExecutions(ActiveExecutions active, ExecutionFinisher finisher, IOptions<ExecutionsOptions> options, TimeProvider clock)
{
    public ActiveExecution Hold(ExecutionRecord record, WarmSandbox sandbox)
    {
        var execution = new ActiveExecution(record, sandbox);
        active.Add(execution);
        _ = ExpireUnstartedAsync(execution);
        return execution;
    }

    private async Task ExpireUnstartedAsync(ActiveExecution execution)
    {
        try
        {
            await Task.Delay(options.Value.StartWindow, clock, execution.Stopping);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (execution.Runner is null && !execution.Starting && active.Contains(execution.Record.Id))
        {
            await finisher.EndUnstartedAsync(execution, ExecutionStates.Failed, ExecutionReasons.NotStarted);
        }
    }
}
