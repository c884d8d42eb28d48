namespace Polydev.Server.Storage.Backups;

/// <summary>
/// A backup, restore or migration that cannot go on, said in one sentence an operator can act on
/// (<c>polydev admin</c> prints it as its one line). Never holds a password or other secret.
/// </summary>
public sealed class BackupException : Exception
{
    public BackupException(string message)
        : base(message)
    {
    }

    public BackupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
