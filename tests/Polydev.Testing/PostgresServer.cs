using System.Text;
using Npgsql;

namespace Polydev.Testing;

/// <summary>
/// Access to the PostgreSQL server that scripts/test starts for the test run.
/// Each test gets its own database, so tests can run in parallel.
/// </summary>
public static class PostgresServer
{
    public const string EnvironmentVariable = "POLYDEV_TEST_POSTGRES";

    /// <summary>Superuser connection string to the server's maintenance database.</summary>
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "PostgreSQL tests need POLYDEV_TEST_POSTGRES; run them through scripts/test, which starts a server.");

    /// <summary>Creates an empty database named <paramref name="prefix"/> plus a random suffix; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = DatabaseName(prefix);
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Drops the database of a connection string from <see cref="CreateDatabaseAsync"/>, closing its connections.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        if (string.IsNullOrEmpty(name) || name is "postgres" or "template0" or "template1")
        {
            throw new ArgumentException("Connection string names no test database.", nameof(connectionString));
        }
        using (var pooled = new NpgsqlConnection(connectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"")}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    // A safe lower-case identifier: [a-z0-9_], starting with a letter, at most 63 bytes.
    private static string DatabaseName(string prefix)
    {
        var builder = new StringBuilder();
        foreach (var c in prefix.ToLowerInvariant())
        {
            builder.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '_');
        }
        if (builder.Length == 0 || builder[0] is < 'a' or > 'z')
        {
            builder.Insert(0, "t_");
        }
        builder.Length = Math.Min(builder.Length, 40);
        return builder.Append('_').Append(Guid.NewGuid().ToString("N").AsSpan(0, 12)).ToString();
    }
}
