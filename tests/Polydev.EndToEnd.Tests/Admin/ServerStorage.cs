using System.Diagnostics;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.Testing;

namespace Polydev.EndToEnd.Tests.Admin;

/// <summary>
/// Where one server's data lives, apart from any server process: a data directory and, for PostgreSQL, a database of
/// the test cluster. Servers come and go on it (<see cref="StartServerAsync"/>); <c>polydev admin</c> runs on it as a
/// deploy script would, with the server's settings: <c>--data DIR</c>, and PostgreSQL through POLYDEV_DATABASE.
/// </summary>
public sealed class ServerStorage : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private ServerStorage(string engine, string dataDirectory, string? connectionString)
    {
        Engine = engine;
        DataDirectory = dataDirectory;
        ConnectionString = connectionString;
        BackupDirectory = Directory.CreateTempSubdirectory("polydev-e2e-backups-").FullName;
    }

    /// <summary>Where the test keeps its backup files: outside the data directory, deleted with it however the test ends.</summary>
    public string BackupDirectory { get; }

    public string BackupFile(string name = "polydev.backup") => Path.Combine(BackupDirectory, name);

    public static TheoryData<string> Engines => new() { Sqlite, Postgres };

    public string Engine { get; }

    public string DataDirectory { get; }

    /// <summary>The PostgreSQL database; null for SQLite.</summary>
    public string? ConnectionString { get; }

    public string SqliteFile => Path.Combine(DataDirectory, "polydev.db");

    public static async Task<ServerStorage> CreateAsync(string engine)
    {
        var data = Directory.CreateTempSubdirectory("polydev-e2e-admin-").FullName;
        var database = engine == Postgres ? await PostgresServer.CreateDatabaseAsync("polydev_admin") : null;
        return new ServerStorage(engine, data, database);
    }

    public Task<ServerProcess> StartServerAsync() => ServerProcess.StartAsync(ConnectionString, null, DataDirectory);

    /// <summary>Runs <c>polydev admin ARGS --data DIR</c> (and POLYDEV_DATABASE for PostgreSQL) to the end.</summary>
    public async Task<CliResult> AdminAsync(params string[] arguments)
    {
        var environment = new Dictionary<string, string?>();
        if (ConnectionString is not null)
        {
            environment["POLYDEV_DATABASE"] = ConnectionString;
        }

        string[] command = ["admin", .. arguments, "--data", DataDirectory];
        using var process = Process.Start(PolydevProcess.StartInfo(command, environment))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"polydev {string.Join(' ', command)} did not finish within {Timeout.TotalSeconds} s.");
        }

        return new CliResult(command, process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Everything in the database, as text (SQLite: the file read around the server; PostgreSQL: the public schema).</summary>
    /// <remarks>
    /// Unpooled, so no connection of the test's stays open: a restore refuses a PostgreSQL database other sessions use.
    /// SQLite is compared by its file's bytes instead (<see cref="SqliteFileHash"/>): reading it could add -shm files.
    /// </remarks>
    public async Task<string> DumpPostgresAsync() =>
        (await DatabaseDump.ReadPostgresAsync(new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString)).Text;

    /// <summary>The SHA-256 of the SQLite file and the names in the data directory: what an untouched target keeps.</summary>
    public string SqliteFileHash() =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(SqliteFile))) + " " +
        string.Join(",", Directory.GetFileSystemEntries(DataDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));

    /// <summary>What must not change when a restore is refused: the SQLite file and its directory, or every row of the PostgreSQL database.</summary>
    public Task<string> FingerprintAsync() => ConnectionString is null ? Task.FromResult(SqliteFileHash()) : DumpPostgresAsync();

    /// <summary>The names of the tables and every row in them, read around the server.</summary>
    public async Task<string> DumpAsync()
    {
        var dump = ConnectionString is null
            ? await DatabaseDump.ReadSqliteAsync(SqliteFile)
            : await DatabaseDump.ReadPostgresAsync(new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        return string.Join(",", dump.Tables.Keys.Order(StringComparer.Ordinal)) + "\n" + dump.Text;
    }

    /// <summary>Runs SQL on the database around any server (unpooled), e.g. to make it look like an older schema.</summary>
    public async Task ExecuteAsync(string sql)
    {
        System.Data.Common.DbConnection connection = ConnectionString is null
            ? new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={SqliteFile};Pooling=False")
            : new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await using (connection)
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (ConnectionString is not null)
        {
            await PostgresServer.DropDatabaseAsync(ConnectionString);
        }

        foreach (var directory in new[] { DataDirectory, BackupDirectory })
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
