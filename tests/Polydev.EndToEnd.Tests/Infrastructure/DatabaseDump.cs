using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Polydev.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Every row of every table of the server's database, read around the server (straight from the SQLite file or
/// from PostgreSQL's public schema), plus renderings of all of it as text and as bytes for needle searches.
/// </summary>
public sealed class DatabaseDump
{
    private DatabaseDump(Dictionary<string, List<Dictionary<string, object?>>> tables, string rowText, IReadOnlyList<byte[]> files)
    {
        Tables = tables;
        var text = new StringBuilder(rowText);
        var bytes = new List<byte[]>(files);
        foreach (var (table, rows) in tables)
        {
            foreach (var row in rows)
            {
                foreach (var (column, value) in row)
                {
                    text.Append(table).Append('.').Append(column).Append('=');
                    switch (value)
                    {
                        case byte[] blob:
                            bytes.Add(blob);
                            text.Append(Convert.ToHexString(blob)).Append(' ').Append(Convert.ToBase64String(blob));
                            break;
                        case null:
                            text.Append("NULL");
                            break;
                        default:
                            var rendered = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
                            bytes.Add(Encoding.UTF8.GetBytes(rendered));
                            text.Append(rendered);
                            break;
                    }

                    text.Append('\n');
                }
            }
        }

        Text = text.ToString();
        Bytes = bytes;
    }

    public IReadOnlyDictionary<string, List<Dictionary<string, object?>>> Tables { get; }

    /// <summary>Every value as text (blobs as hex and base64), one "table.column=value" per line, plus the engine's own row rendering.</summary>
    public string Text { get; }

    /// <summary>Raw bytes: every value, and for SQLite every database file (main, WAL, shared memory) as it lies on disk.</summary>
    public IReadOnlyList<byte[]> Bytes { get; }

    public IReadOnlyList<Dictionary<string, object?>> Rows(string table) => Tables.TryGetValue(table, out var rows) ? rows : [];

    public static async Task<DatabaseDump> ReadSqliteAsync(string path)
    {
        var tables = new Dictionary<string, List<Dictionary<string, object?>>>();
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync();
            var names = new List<string>();
            await using (var command = new SqliteCommand("SELECT name FROM sqlite_master WHERE type = 'table'", connection))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    names.Add(reader.GetString(0));
                }
            }

            foreach (var name in names)
            {
                await using var command = new SqliteCommand($"SELECT * FROM \"{name.Replace("\"", "\"\"")}\"", connection);
                tables[name] = await ReadRowsAsync(await command.ExecuteReaderAsync());
            }
        }

        var files = Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + "*").Select(File.ReadAllBytes).ToList();
        Assert.Contains("users", tables.Keys);
        return new DatabaseDump(tables, "", files);
    }

    public static async Task<DatabaseDump> ReadPostgresAsync(string connectionString)
    {
        var tables = new Dictionary<string, List<Dictionary<string, object?>>>();
        var rowText = new StringBuilder();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var names = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        }

        foreach (var name in names)
        {
            var quoted = $"\"{name.Replace("\"", "\"\"")}\"";
            await using (var command = new NpgsqlCommand($"SELECT * FROM {quoted}", connection))
            {
                tables[name] = await ReadRowsAsync(await command.ExecuteReaderAsync());
            }

            // PostgreSQL's own text form of each row (bytea as \x hex), in case a column type renders differently.
            await using (var command = new NpgsqlCommand($"SELECT t::text FROM {quoted} t", connection))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    rowText.Append(name).Append(' ').Append(reader.GetString(0)).Append('\n');
                }
            }
        }

        Assert.Contains("users", tables.Keys);
        return new DatabaseDump(tables, rowText.ToString(), []);
    }

    private static async Task<List<Dictionary<string, object?>>> ReadRowsAsync(System.Data.Common.DbDataReader reader)
    {
        await using (reader)
        {
            var rows = new List<Dictionary<string, object?>>();
            while (await reader.ReadAsync())
            {
                var row = new Dictionary<string, object?>(StringComparer.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(row);
            }

            return rows;
        }
    }
}
