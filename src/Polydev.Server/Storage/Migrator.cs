using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Storage;

/// <summary>
/// Brings the database up to <see cref="Schema"/> at start, on either engine. Each migration
/// runs in its own transaction together with its bookkeeping row, so a crash leaves the schema
/// at a known version; a lock keeps two servers from migrating the same database at once.
/// </summary>
public sealed partial class Migrator(Database database, TimeProvider clock, ILogger<Migrator> logger)
{
    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (database.Engine == DatabaseEngine.Sqlite)
        {
            // WAL lets readers proceed while a writer commits; it is a property of the file.
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL");
        }

        await connection.ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     INTEGER PRIMARY KEY,
                name        TEXT NOT NULL,
                applied_at  BIGINT NOT NULL
            )
            """);

        var applied = 0;
        foreach (var migration in Schema.Migrations)
        {
            if (await ApplyAsync(connection, migration, cancellationToken))
            {
                applied++;
            }
        }

        var version = Schema.Migrations.Count == 0 ? 0 : Schema.Migrations[^1].Version;
        LogSchemaReady(logger, database.Description, version, applied);
        return applied;
    }

    private async Task<bool> ApplyAsync(DbConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(database.Dialect.MigrationLock, transaction: transaction);

        var done = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM schema_migrations WHERE version = @Version",
            new { migration.Version },
            transaction);
        if (done > 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        await connection.ExecuteAsync(database.Dialect.Render(migration.Sql), transaction: transaction);
        await connection.ExecuteAsync(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
            new { migration.Version, migration.Name, AppliedAt = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            transaction);
        await transaction.CommitAsync(cancellationToken);
        LogMigrationApplied(logger, migration.Version, migration.Name);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version} ({Name})")]
    private static partial void LogMigrationApplied(ILogger logger, int version, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Database} at schema version {Version} ({Applied} migrations applied now)")]
    private static partial void LogSchemaReady(ILogger logger, string database, int version, int applied);
}
