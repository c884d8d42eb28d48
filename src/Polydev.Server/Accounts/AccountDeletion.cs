namespace Polydev.Server.Accounts;

/// <summary>
/// Deletes an account everywhere: every part's rows of the user in one transaction (<see cref="AccountStore.DeleteAsync"/>),
/// then the parts that hold live state for the user (<see cref="IAccountObserver"/>) let go of it.
/// </summary>
public sealed class AccountDeletion(AccountStore accounts, IEnumerable<IAccountObserver> observers)
{
    public async Task DeleteAsync(Guid userId, CancellationToken cancellationToken)
    {
        await accounts.DeleteAsync(userId, cancellationToken);
        // The rows are gone: the live state follows even if the client hangs up now.
        foreach (var observer in observers)
        {
            await observer.AccountDeletedAsync(userId, CancellationToken.None);
        }
    }
}
