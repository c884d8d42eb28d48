using Dapper;

namespace Polydev.Server.Storage;

/// <summary>
/// Brings the database up to <see cref="Schema"/> at start, on either engine, in one
/// transaction, so a crash leaves the schema at a known version; a lock keeps two servers from
/// migrating the same database at once.
/// </summary>
public sealed partial class Migrator(Database database, TimeProvider clock, ILogger<Migrator> logger)
{
    /// <returns>How many migrations were applied now.</returns>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default) => (await ApplyAsync(cancellationToken)).Applied;

    /// <summary>Applies the pending migrations; says from which version to which (<c>polydev admin migrate</c> prints it).</summary>
    public async Task<SchemaChange> ApplyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (database.Engine == DatabaseEngine.Sqlite)
        {
            // WAL lets readers proceed while a writer commits; it is a property of the file.
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL");
        }

        // One transaction under the engine's lock: the bookkeeping table, every pending
        // migration and its row land together or not at all, and a second server waits.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(database.Dialect.MigrationLock, transaction: transaction);
        await connection.ExecuteAsync(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     INTEGER PRIMARY KEY,
                name        TEXT NOT NULL,
                applied_at  BIGINT NOT NULL
            )
            """,
            transaction: transaction);

        var current = await connection.ExecuteScalarAsync<long?>("SELECT MAX(version) FROM schema_migrations", transaction: transaction) ?? 0;
        var pending = Schema.Migrations.Where(m => m.Version > current).ToList();
        foreach (var migration in pending)
        {
            await connection.ExecuteAsync(database.Dialect.Render(migration.Sql), transaction: transaction);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
                new { migration.Version, migration.Name, AppliedAt = clock.GetUtcNow().ToUnixTimeMilliseconds() },
                transaction);
            LogMigrationApplied(logger, migration.Version, migration.Name);
        }

        await transaction.CommitAsync(cancellationToken);
        var version = Schema.Migrations.Count == 0 ? 0 : Schema.Migrations[^1].Version;
        LogSchemaReady(logger, database.Description, version, pending.Count);
        return new SchemaChange((int)current, pending.Count == 0 ? (int)current : pending[^1].Version, pending.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version} ({Name})")]
    private static partial void LogMigrationApplied(ILogger logger, int version, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Database} at schema version {Version} ({Applied} migrations applied now)")]
    private static partial void LogSchemaReady(ILogger logger, string database, int version, int applied);
}

/// <summary>What one run of the <see cref="Migrator"/> did: the schema version before and after, and how many migrations it applied.</summary>
public sealed record SchemaChange(int From, int To, int Applied);
