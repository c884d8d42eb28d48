namespace Polydev.Server.Storage;

/// <summary>
/// The handful of places where SQLite and PostgreSQL disagree. Schema SQL is written once
/// with <c>{blob}</c> placeholders; queries use only what both engines share.
/// </summary>
public sealed class SqlDialect
{
    private SqlDialect(string blobType, string migrationLock, string forUpdate)
    {
        BlobType = blobType;
        MigrationLock = migrationLock;
        ForUpdate = forUpdate;
    }

    public string BlobType { get; }

    /// <summary>Statement run first in the migration transaction so two servers never migrate at once.</summary>
    public string MigrationLock { get; }

    /// <summary>
    /// What a SELECT ends with to lock the rows it reads until the transaction ends. SQLite needs nothing: its
    /// transactions begin IMMEDIATE and hold the database's write lock.
    /// </summary>
    public string ForUpdate { get; }

    public static SqlDialect For(DatabaseEngine engine) => engine switch
    {
        DatabaseEngine.Postgres => new SqlDialect("BYTEA", "SELECT pg_advisory_xact_lock(7142003)", " FOR UPDATE"),
        // SQLite: Microsoft.Data.Sqlite opens transactions with BEGIN IMMEDIATE, which already
        // holds the write lock for the whole migration.
        _ => new SqlDialect("BLOB", "SELECT 1", ""),
    };

    public string Render(string portableSql) => portableSql.Replace("{blob}", BlobType, StringComparison.Ordinal);
}
