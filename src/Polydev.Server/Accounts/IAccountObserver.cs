namespace Polydev.Server.Accounts;

/// <summary>
/// Parts that hold live state for a user (the egress listener, running executions) hear of an account's deletion
/// twice: before its rows are deleted, to stop work that would write them, and after, to let go of what is left.
/// </summary>
public interface IAccountObserver
{
    /// <summary>Before the rows go: stop what would write them (an execution's output chunks, say).</summary>
    Task AccountDeletingAsync(Guid userId, CancellationToken cancellationToken) => Task.CompletedTask;

    Task AccountDeletedAsync(Guid userId, CancellationToken cancellationToken);
}
