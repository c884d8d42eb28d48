using Microsoft.Extensions.Hosting;
using Polydev.Contracts.Executions;
using Polydev.Server.Accounts;

namespace Polydev.Server.Executions;

/// <summary>
/// Runs executions blind — what the executions API calls: create (<see cref="ExecutionCreator"/>), start
/// (<see cref="ExecutionStarter"/>), cancel, the live output, and the server's start and stop. The server hands the
/// client the sandbox's public key and a proxy token for this execution alone, passes the sealed job to the sandbox
/// agent without opening it, and relays the encrypted output until the agent's final frame. It enforces the server's
/// limits and ends each execution with a reason it can know without reading the output.
/// </summary>
public sealed class ExecutionService(
    ExecutionCreator creator,
    ExecutionStarter runner,
    ExecutionStore store,
    ActiveExecutions active,
    ExecutionFinisher finisher,
    InterruptedExecutions interrupted) : IHostedService, IAccountObserver
{
    /// <summary>Before the server takes requests: see <see cref="InterruptedExecutions.RecoverAsync"/>.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => interrupted.RecoverAsync(cancellationToken);

    /// <summary>Allocates a sandbox for a new execution of <paramref name="provider"/>.</summary>
    public Task<(ExecutionRecord Record, ExecutionCreatedResponse Response)> CreateAsync(Guid userId, string provider, CancellationToken cancellationToken) =>
        creator.CreateAsync(userId, provider, cancellationToken);

    /// <summary>Hands the sealed job to the sandbox agent and starts relaying its output.</summary>
    public Task<ExecutionRecord> StartAsync(Guid userId, Guid id, byte[] sealedJob, CancellationToken cancellationToken) =>
        runner.StartAsync(userId, id, sealedJob, cancellationToken);

    /// <summary>Cancels an allocated or running execution; its sandbox is destroyed.</summary>
    public async Task<ExecutionRecord> CancelAsync(Guid userId, Guid id, CancellationToken cancellationToken)
    {
        var record = await store.FindAsync(userId, id, cancellationToken)
            ?? throw new ExecutionRefusedException(ExecutionRefusal.NotFound, "No execution with this id.");
        if (ExecutionStates.IsFinished(record.State))
        {
            throw new ExecutionRefusedException(ExecutionRefusal.Conflict, $"The execution already ended ({record.State}).");
        }

        if (active.TryGet(record.Id, out var execution))
        {
            if (execution.Runner is { } running)
            {
                // The runner sends the agent a cancel, then destroys the sandbox and records the end.
                execution.Stop(ExecutionReasons.Cancelled);
                await running.WaitAsync(cancellationToken);
            }
            else
            {
                await finisher.EndUnstartedAsync(execution, ExecutionStates.Cancelled, ExecutionReasons.Cancelled);
            }
        }

        return (await store.FindAsync(userId, id, cancellationToken))!;
    }

    /// <summary>The live output of an execution this server is running, or null (then the database has it all).</summary>
    public ExecutionOutput? LiveOutput(string id) => active.TryGet(id, out var execution) && execution.Runner is not null ? execution.Output : null;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Shutdown: running executions are stopped and failed (reason <c>server_restart</c>); nothing is left allocated.</summary>
    public Task StopAsync(CancellationToken cancellationToken) =>
        EndAsync(_ => true, ExecutionStates.Failed, ExecutionReasons.ServerRestart, cancellationToken);

    /// <summary>An account is being deleted: its executions end (cancelled) and their sandboxes go before its rows do.</summary>
    public Task AccountDeletingAsync(Guid userId, CancellationToken cancellationToken) =>
        EndAsync(e => e.Record.UserId == userId.ToString("D"), ExecutionStates.Cancelled, ExecutionReasons.Cancelled, cancellationToken);

    public Task AccountDeletedAsync(Guid userId, CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task EndAsync(Func<ActiveExecution, bool> which, string state, string reason, CancellationToken cancellationToken)
    {
        var ending = new List<Task>();
        foreach (var execution in active.All.Where(which))
        {
            if (execution.Runner is { } running)
            {
                // The runner sends the agent a cancel, then destroys the sandbox and records the end.
                execution.Stop(reason);
                ending.Add(running);
            }
            else
            {
                ending.Add(finisher.EndUnstartedAsync(execution, state, reason));
            }
        }

        await Task.WhenAll(ending).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}

public enum ExecutionRefusal
{
    NotFound,
    Conflict,
    TooMany,
    Unavailable,
}

/// <summary>An execution request the server will not carry out, with the words for the problem response.</summary>
public sealed class ExecutionRefusedException(ExecutionRefusal refusal, string detail) : Exception(detail)
{
    public ExecutionRefusal Refusal { get; } = refusal;
}
