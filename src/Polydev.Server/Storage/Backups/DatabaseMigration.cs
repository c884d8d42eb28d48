namespace Polydev.Server.Storage.Backups;

/// <summary>
/// <c>polydev admin migrate</c>: what a deploy runs before it switches to a new release. It refuses a database whose
/// schema this build does not know (a newer release migrated it), takes the backup first when asked (the file a
/// rollback restores), then applies the pending migrations with the server's own <see cref="Migrator"/>.
/// </summary>
public sealed class DatabaseMigration(IDatabaseBackup engine, DatabaseBackups backups, Migrator migrator)
{
    public string Description => engine.Description;

    /// <summary>The database's applied migrations; null when it has no Polydev schema yet.</summary>
    public Task<AppliedSchema?> StatusAsync(CancellationToken cancellationToken) => engine.ReadSchemaAsync(cancellationToken);

    /// <param name="backupPath">Where to write a backup before migrating; null for none.</param>
    public async Task<MigrationOutcome> MigrateAsync(string? backupPath, CancellationToken cancellationToken)
    {
        var current = await engine.ReadSchemaAsync(cancellationToken);
        if (current?.Mismatch() is { } why)
        {
            throw new BackupException(
                $"{engine.Description} cannot be migrated by this polydev ({BackupManifest.PolydevBuild}): {why}; run the release that migrated it, or restore a backup taken before it did");
        }

        // A database without Polydev's schema has nothing to lose; a first deploy gets no backup file.
        var backup = backupPath is not null && current is not null ? await backups.BackupAsync(backupPath, cancellationToken) : null;
        var change = await migrator.ApplyAsync(cancellationToken);
        return new MigrationOutcome(change, backup);
    }
}

/// <summary>What <c>polydev admin migrate</c> did: the schema change, and the backup taken first (null when none was).</summary>
public sealed record MigrationOutcome(SchemaChange Change, BackupManifest? Backup);
