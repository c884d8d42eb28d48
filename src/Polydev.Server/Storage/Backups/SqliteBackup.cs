using Dapper;
using Microsoft.Data.Sqlite;

namespace Polydev.Server.Storage.Backups;

/// <summary>
/// SQLite: a backup is <c>VACUUM INTO</c> a new file, one read transaction, so the copy is the database as of one
/// commit while the server's writers go on (WAL). A restore checks the copy (<c>PRAGMA integrity_check</c>, its
/// schema against the manifest) beside the database file, takes the file's exclusive lock (which fails while a server
/// has it open), folds the old write-ahead log into the old file, removes <c>-wal</c>/<c>-shm</c>/<c>-journal</c> so
/// nothing of the old database can be replayed into the new one, and renames the copy over the file: at every moment
/// <c>polydev.db</c> is the old database or the new one, never half of either.
/// </summary>
public sealed class SqliteBackup(string databaseFile) : IDatabaseBackup
{
    private const int Busy = 5;
    private const int Locked = 6;
    private const int NotADatabase = 26;

    private static readonly string[] SideFiles = ["-wal", "-shm", "-journal"];

    public DatabaseEngine Engine => DatabaseEngine.Sqlite;

    public string Description => $"sqlite:{databaseFile}";

    public string PayloadName => "polydev.db";

    public async Task<AppliedSchema?> ReadSchemaAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(databaseFile))
        {
            return null;
        }

        await using var connection = await OpenAsync(databaseFile, SqliteOpenMode.ReadWrite, cancellationToken);
        return await AppliedSchema.ReadAsync(connection, Engine, cancellationToken);
    }

    public async Task<DatabaseSnapshot> DumpAsync(string payloadPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(databaseFile))
        {
            throw new BackupException($"there is no SQLite database at {databaseFile}: check --data (POLYDEV_DATA)");
        }

        await using (var source = await OpenAsync(databaseFile, SqliteOpenMode.ReadWrite, cancellationToken))
        {
            if (await AppliedSchema.ReadAsync(source, Engine, cancellationToken) is null)
            {
                throw new BackupException($"{Description} holds no Polydev schema: nothing to back up");
            }

            // Into the empty 0600 file the caller made (VACUUM INTO accepts an empty file), so the copy is never readable by others.
            await source.ExecuteAsync(new CommandDefinition("VACUUM INTO @payloadPath", new { payloadPath }, cancellationToken: cancellationToken));
        }

        await using var copy = await OpenAsync(payloadPath, SqliteOpenMode.ReadOnly, cancellationToken);
        await EnsureIntactAsync(copy, "PRAGMA quick_check", $"the copy of {Description} fails SQLite's quick_check", cancellationToken);
        var schema = await AppliedSchema.ReadAsync(copy, Engine, cancellationToken)
            ?? throw new BackupException($"the copy of {Description} has no schema_migrations table");
        var version = await copy.ExecuteScalarAsync<string>(new CommandDefinition("SELECT sqlite_version()", cancellationToken: cancellationToken));
        return new DatabaseSnapshot(schema, $"SQLite {version} VACUUM INTO");
    }

    public async Task RestoreAsync(BackupReader backup, bool force, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(databaseFile)!;
        Directory.CreateDirectory(directory);
        // Beside the database file, so the last step is a rename within one file system.
        var staged = $"{databaseFile}.restore-{Guid.NewGuid():N}";
        try
        {
            await backup.ExtractPayloadAsync(staged, cancellationToken);
            await VerifyAsync(staged, backup, cancellationToken);
            await ReleaseTargetAsync(force, cancellationToken);
            FileOwner.CopyTo(staged, File.Exists(databaseFile) ? databaseFile : directory);
            foreach (var side in SideFiles)
            {
                File.Delete(databaseFile + side);
            }

            File.Move(staged, databaseFile, overwrite: true);
        }
        finally
        {
            foreach (var leftover in SideFiles.Select(s => staged + s).Append(staged))
            {
                File.Delete(leftover);
            }
        }
    }

    /// <summary>The staged copy opens, passes <c>PRAGMA integrity_check</c> and has the migrations its manifest lists.</summary>
    private static async Task VerifyAsync(string staged, BackupReader backup, CancellationToken cancellationToken)
    {
        try
        {
            await using var copy = await OpenAsync(staged, SqliteOpenMode.ReadOnly, cancellationToken);
            await EnsureIntactAsync(copy, "PRAGMA integrity_check", $"{backup.Path} is damaged: the database in it fails SQLite's integrity_check", cancellationToken);
            var schema = await AppliedSchema.ReadAsync(copy, DatabaseEngine.Sqlite, cancellationToken);
            if (schema is null || !schema.SameAs(backup.Manifest.Applied))
            {
                throw new BackupException($"{backup.Path} is damaged: the database in it is at schema version {schema?.Version ?? 0}, its manifest says {backup.Manifest.SchemaVersion}");
            }
        }
        catch (SqliteException e)
        {
            throw new BackupException($"{backup.Path} is damaged: the database in it does not open ({e.Message})");
        }
    }

    /// <summary>
    /// Takes the target's exclusive lock, refuses when a server holds the file or when it is not empty without
    /// <paramref name="force"/>, then folds the write-ahead log into the old file and lets go.
    /// </summary>
    private async Task ReleaseTargetAsync(bool force, CancellationToken cancellationToken)
    {
        if (!File.Exists(databaseFile))
        {
            return;
        }

        // Exclusive locking mode keeps the lock below until the connection closes; in WAL mode every open connection
        // (a running server's pooled ones) holds a shared lock on the file, so taking it fails while a server runs.
        var connection = await OpenAsync(databaseFile, SqliteOpenMode.ReadWrite, cancellationToken, timeoutSeconds: 1);
        await using (connection)
        {
            RestoreTarget target;
            try
            {
                await connection.ExecuteAsync(new CommandDefinition("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;", cancellationToken: cancellationToken));
                // In WAL mode the lock on the file is taken when the file is first read, not at BEGIN.
                target = await RestoreTarget.ReadAsync(connection, Engine, cancellationToken);
            }
            catch (SqliteException e) when (e.SqliteErrorCode is Busy or Locked)
            {
                throw new BackupException($"{Description} is in use (is polydev server running on it?): stop the server, then restore");
            }
            catch (SqliteException e) when (e.SqliteErrorCode == NotADatabase)
            {
                throw new BackupException($"{databaseFile} is not a SQLite database: move it away, then restore");
            }

            target.EnsureReplaceable(force, Description);
            await connection.ExecuteAsync(new CommandDefinition("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);", cancellationToken: cancellationToken));
        }
    }

    private static async Task EnsureIntactAsync(SqliteConnection connection, string check, string failure, CancellationToken cancellationToken)
    {
        var result = (await connection.QueryAsync<string>(new CommandDefinition(check, cancellationToken: cancellationToken))).ToList();
        if (result is not ["ok"])
        {
            throw new BackupException($"{failure}: {string.Join("; ", result.Take(3))}");
        }
    }

    /// <summary>A connection of its own (no pool), so closing it really closes the file and lets go of its locks.</summary>
    private static async Task<SqliteConnection> OpenAsync(string file, SqliteOpenMode mode, CancellationToken cancellationToken, int timeoutSeconds = 30)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = file,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = timeoutSeconds,
        }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
