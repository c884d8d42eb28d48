namespace Polydev.Server.Accounts;

/// <summary>
/// Deletes an account everywhere: the parts that hold live state for the user (<see cref="IAccountObserver"/>) stop
/// what would write the user's rows, every part's rows of the user go in one transaction
/// (<see cref="AccountStore.DeleteAsync"/>), then the live state is let go of.
/// </summary>
public sealed class AccountDeletion(AccountStore accounts, IEnumerable<IAccountObserver> observers)
{
    public async Task DeleteAsync(Guid userId, CancellationToken cancellationToken)
    {
        foreach (var observer in observers)
        {
            await observer.AccountDeletingAsync(userId, cancellationToken);
        }

        await accounts.DeleteAsync(userId, cancellationToken);
        // The rows are gone: the live state follows even if the client hangs up now.
        foreach (var observer in observers)
        {
            await observer.AccountDeletedAsync(userId, CancellationToken.None);
        }
    }
}
