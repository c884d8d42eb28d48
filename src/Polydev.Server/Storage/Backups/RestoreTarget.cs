using System.Data.Common;
using Dapper;

namespace Polydev.Server.Storage.Backups;

/// <summary>
/// What a restore would replace. Empty means no tables at all, or Polydev's schema with no account in it (a server
/// that started once on a fresh database); anything else, accounts or tables that are not Polydev's, is replaced
/// only with <c>--force</c>.
/// </summary>
public sealed record RestoreTarget(int Tables, bool PolydevSchema, long Accounts)
{
    public static RestoreTarget Nothing { get; } = new(0, false, 0);

    public bool IsEmpty => Tables == 0 || (PolydevSchema && Accounts == 0);

    public void EnsureReplaceable(bool force, string description)
    {
        if (IsEmpty || force)
        {
            return;
        }

        var holds = PolydevSchema ? $"{Accounts} account{(Accounts == 1 ? "" : "s")}" : $"{Tables} table{(Tables == 1 ? "" : "s")} that are not Polydev's";
        throw new BackupException($"{description} is not empty: it holds {holds}; add --force to replace it with the backup");
    }

    /// <summary>Reads the tables of the connection's schema (SQLite: the file's; PostgreSQL: the current schema's).</summary>
    public static async Task<RestoreTarget> ReadAsync(DbConnection connection, DatabaseEngine engine, CancellationToken cancellationToken)
    {
        var tables = (await connection.QueryAsync<string>(new CommandDefinition(
            engine == DatabaseEngine.Postgres
                ? "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
            cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal);
        var polydev = tables.Contains("schema_migrations") && tables.Contains("users");
        var accounts = polydev
            ? await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM users", cancellationToken: cancellationToken))
            : 0;
        return new RestoreTarget(tables.Count, polydev, accounts);
    }
}
