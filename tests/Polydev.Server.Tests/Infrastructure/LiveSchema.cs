using System.Data.Common;
using Dapper;
using Polydev.Server.Storage;

namespace Polydev.Server.Tests.Infrastructure;

/// <summary>A foreign key of the live schema: <c>Table.Column</c> references <c>Parent.ParentColumn</c>.</summary>
public sealed record ForeignKey
{
    // Settable, not positional: SQLite reports the columns of an empty pragma result as blobs, and Dapper would look for a constructor taking those.
    public string Table { get; init; } = "";
    public string Column { get; init; } = "";
    public string Parent { get; init; } = "";
    public string ParentColumn { get; init; } = "";
}

/// <summary>
/// The schema as the database reports it after migration (not as <see cref="Schema"/> says it should be), on either
/// engine: tables, their columns, their foreign keys, and which tables hold a user's rows.
/// </summary>
public sealed class LiveSchema
{
    private LiveSchema(IReadOnlyDictionary<string, IReadOnlyList<string>> columns, IReadOnlyList<ForeignKey> foreignKeys)
    {
        Columns = columns;
        ForeignKeys = foreignKeys;
    }

    /// <summary>Every table's columns, by table name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Columns { get; }

    public IReadOnlyList<ForeignKey> ForeignKeys { get; }

    public static async Task<LiveSchema> ReadAsync(Database database)
    {
        await using var connection = await database.OpenAsync();
        var sqlite = database.Engine == DatabaseEngine.Sqlite;
        var tables = sqlite
            ? await connection.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            : await connection.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'");
        var columns = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var foreignKeys = new List<ForeignKey>();
        foreach (var table in tables)
        {
            columns[table] = (sqlite
                ? await connection.QueryAsync<string>("SELECT name FROM pragma_table_info(@table)", new { table })
                : await connection.QueryAsync<string>("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table", new { table })).AsList();
            if (sqlite)
            {
                foreignKeys.AddRange(await connection.QueryAsync<ForeignKey>(
                    "SELECT @table AS \"Table\", \"from\" AS \"Column\", \"table\" AS \"Parent\", \"to\" AS \"ParentColumn\" FROM pragma_foreign_key_list(@table)", new { table }));
            }
        }

        if (!sqlite)
        {
            foreignKeys.AddRange(await connection.QueryAsync<ForeignKey>("""
                SELECT child.relname AS "Table", a.attname AS "Column", parent.relname AS "Parent", pa.attname AS "ParentColumn"
                FROM pg_constraint c
                JOIN pg_class child ON child.oid = c.conrelid
                JOIN pg_class parent ON parent.oid = c.confrelid
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
                WHERE c.contype = 'f' AND child.relnamespace = current_schema()::regnamespace
                """));
        }

        return new LiveSchema(columns, foreignKeys);
    }

    /// <summary>
    /// The tables that hold a user's rows: <c>users</c>, every table with a <c>user_id</c> column, and every table
    /// that references one of those, however indirectly (a message's chat, an execution's chunks).
    /// </summary>
    public IReadOnlySet<string> UserTables()
    {
        var found = Columns.Where(t => t.Key == "users" || t.Value.Contains("user_id")).Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
        while (ForeignKeys.FirstOrDefault(k => found.Contains(k.Parent) && !found.Contains(k.Table)) is { } key)
        {
            found.Add(key.Table);
        }

        return found;
    }

    /// <summary>A condition (with <c>@userId</c>) that selects the user's rows of <paramref name="table"/>, one of <see cref="UserTables"/>.</summary>
    public string UserRowsOf(string table)
    {
        if (table == "users")
        {
            return "id = @userId";
        }

        if (Columns[table].Contains("user_id"))
        {
            return "user_id = @userId";
        }

        var userTables = UserTables();
        var key = ForeignKeys.First(k => k.Table == table && userTables.Contains(k.Parent));
        return $"{key.Column} IN (SELECT {key.ParentColumn} FROM {key.Parent} WHERE {UserRowsOf(key.Parent)})";
    }

    /// <summary>How many rows of the user each of <see cref="UserTables"/> holds.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountUserRowsAsync(DbConnection connection, Guid userId)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in UserTables())
        {
            counts[table] = await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table} WHERE {UserRowsOf(table)}", new { userId = userId.ToString("D") });
        }

        return counts;
    }
}
