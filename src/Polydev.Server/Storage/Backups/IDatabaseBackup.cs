namespace Polydev.Server.Storage.Backups;

/// <summary>
/// One engine's way of copying its database out to a file and back: SQLite with <c>VACUUM INTO</c> and a file put
/// in place by rename (<see cref="SqliteBackup"/>), PostgreSQL with Debian's <c>pg_dump</c> and <c>pg_restore</c>
/// (<see cref="PostgresBackup"/>). <see cref="DatabaseBackups"/> does the rest, the same for both.
/// </summary>
public interface IDatabaseBackup
{
    DatabaseEngine Engine { get; }

    /// <summary>Where the data lives, without credentials: safe to print and log.</summary>
    string Description { get; }

    /// <summary>The database's entry name inside the backup file.</summary>
    string PayloadName { get; }

    /// <summary>The migrations the database has applied; null when it holds no Polydev schema (or does not exist).</summary>
    Task<AppliedSchema?> ReadSchemaAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Writes a consistent copy of the database, as of one moment, to <paramref name="payloadPath"/> (an empty file
    /// with mode 0600 is there) while the server may go on writing. Throws <see cref="BackupException"/> when there is
    /// nothing to back up.
    /// </summary>
    Task<DatabaseSnapshot> DumpAsync(string payloadPath, CancellationToken cancellationToken);

    /// <summary>
    /// Puts the backup's database in place of this one, all or nothing: into an empty database, or over one with
    /// accounts only when <paramref name="force"/> is set. The backup's manifest has been checked already.
    /// </summary>
    Task RestoreAsync(BackupReader backup, bool force, CancellationToken cancellationToken);
}

/// <summary>What a dump captured: the schema of the copy, and the tool that made it (for the manifest).</summary>
public sealed record DatabaseSnapshot(AppliedSchema Schema, string Tool);
