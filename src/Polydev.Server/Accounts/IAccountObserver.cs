namespace Polydev.Server.Accounts;

/// <summary>
/// Parts that hold live state for a user (the egress listener, later sandboxes) learn here that
/// the account is gone, after its rows are deleted.
/// </summary>
public interface IAccountObserver
{
    Task AccountDeletedAsync(Guid userId, CancellationToken cancellationToken);
}
