using Dapper;

namespace Polydev.Server.Storage.Backups;

/// <summary>
/// PostgreSQL: a backup is Debian's <c>pg_dump</c> in its custom format (compressed, one snapshot of the database, taken
/// while the server goes on); a restore is <see cref="PostgresScriptRestore"/>, one transaction. Both reach the
/// database with the server's own connection string (<see cref="PostgresClientTools"/>).
/// </summary>
public sealed class PostgresBackup(Database database, string connectionString) : IDatabaseBackup
{
    public DatabaseEngine Engine => DatabaseEngine.Postgres;

    public string Description => database.Description;

    public string PayloadName => "polydev.pgdump";

    public async Task<AppliedSchema?> ReadSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await AppliedSchema.ReadAsync(connection, Engine, cancellationToken);
    }

    public async Task<DatabaseSnapshot> DumpAsync(string payloadPath, CancellationToken cancellationToken)
    {
        var before = await ReadSchemaAsync(cancellationToken)
            ?? throw new BackupException($"{Description} holds no Polydev schema: nothing to back up");
        var tools = new PostgresClientTools(connectionString, Path.GetDirectoryName(payloadPath)!);
        // pg_dump's own snapshot makes the copy consistent; the lock timeout keeps it from queueing behind a migration.
        // Compression level 1: the vault is ciphertext, which no level shrinks, but COPY writes bytea as hex, which
        // level 1 takes back to about its binary size. Measured on 68 MB of vault rows: 60.7 MB in 4.1 s, where the
        // default level made 59.1 MB in 8.7 s and none 104 MB in 2.0 s.
        await tools.RunAsync("pg_dump", ["--format=custom", "--compress=1", "--no-password", "--lock-wait-timeout=60000", $"--file={payloadPath}"], cancellationToken);

        // A migration commits all at once, so the same schema before and after means the dump's snapshot has it too.
        var after = await ReadSchemaAsync(cancellationToken);
        if (after is null || !after.SameAs(before))
        {
            throw new BackupException($"the schema of {Description} changed while it was being copied (a migration ran): take the backup again");
        }

        var version = (await tools.RunAsync("pg_dump", ["--version"], cancellationToken)).Trim();
        await using var connection = await database.OpenAsync(cancellationToken);
        var server = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SHOW server_version", cancellationToken: cancellationToken));
        return new DatabaseSnapshot(before, $"{version}; server PostgreSQL {server}");
    }

    public async Task RestoreAsync(BackupReader backup, bool force, CancellationToken cancellationToken)
    {
        var work = BackupFile.CreatePrivateDirectory(Path.Combine(Path.GetTempPath(), $"polydev-restore-{Guid.NewGuid():N}"));
        try
        {
            var archive = Path.Combine(work, PayloadName);
            await backup.ExtractPayloadAsync(archive, cancellationToken);
            await EnsureReplaceableAsync(force, cancellationToken);
            await PostgresScriptRestore.RunAsync(new PostgresClientTools(connectionString, work), archive, cancellationToken);

            var restored = await ReadSchemaAsync(cancellationToken);
            if (restored is null || !restored.SameAs(backup.Manifest.Applied))
            {
                throw new BackupException($"after the restore {Description} is at schema version {restored?.Version ?? 0}, not the backup's {backup.Manifest.SchemaVersion}");
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>No other session may use the database (a running server would go on with what it cached), and it is empty or <paramref name="force"/> is set.</summary>
    private async Task EnsureReplaceableAsync(bool force, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var others = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
            cancellationToken: cancellationToken));
        if (others > 0)
        {
            throw new BackupException($"{Description} has {others} other open connection{(others == 1 ? "" : "s")} (is polydev server running on it?): stop the server, then restore");
        }

        var target = await RestoreTarget.ReadAsync(connection, Engine, cancellationToken);
        target.EnsureReplaceable(force, Description);
    }
}
