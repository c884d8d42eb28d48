using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Npgsql;
using SQLitePCL;

namespace Polydev.Server.Storage;

/// <summary>
/// Opens connections to whichever engine the operator configured. Everything above this type
/// writes SQL that both engines accept; the few differences live in <see cref="SqlDialect"/>.
/// </summary>
public sealed class Database : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _postgres;
    private readonly string? _sqliteConnectionString;

    /// <summary>The pooled native SQLite connections whose pragmas are set; one that is closed for good drops out.</summary>
    private readonly ConditionalWeakTable<sqlite3, sqlite3> _configured = new();

    private Database(DatabaseEngine engine, NpgsqlDataSource? postgres, string? sqliteConnectionString, string description)
    {
        Engine = engine;
        _postgres = postgres;
        _sqliteConnectionString = sqliteConnectionString;
        Description = description;
        Dialect = SqlDialect.For(engine);
    }

    public DatabaseEngine Engine { get; }

    public SqlDialect Dialect { get; }

    /// <summary>Where the data lives, without credentials: safe to log.</summary>
    public string Description { get; }

    /// <summary>
    /// A PostgreSQL connection string selects PostgreSQL; otherwise the SQLite file
    /// <c>polydev.db</c> in <paramref name="dataDirectory"/> is used.
    /// </summary>
    public static Database Create(string? postgresConnectionString, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(postgresConnectionString))
        {
            NpgsqlConnectionStringBuilder builder;
            try
            {
                builder = new NpgsqlConnectionStringBuilder(postgresConnectionString);
            }
            catch (ArgumentException)
            {
                // The message of the inner exception may quote the string, password included.
                throw new InvalidOperationException("The database connection string is not a valid PostgreSQL connection string (keys like Host=…;Database=…;Username=…).");
            }

            var description = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
            return new Database(DatabaseEngine.Postgres, NpgsqlDataSource.Create(PostgresDefaults.Apply(builder, postgresConnectionString)), null, description);
        }

        try
        {
            Directory.CreateDirectory(dataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"The data directory '{Path.GetFullPath(dataDirectory)}' cannot be created ({e.Message}); pick another with --data.", e);
        }

        var path = SqliteFile(dataDirectory);
        var sqlite = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        return new Database(DatabaseEngine.Sqlite, null, sqlite, $"sqlite:{path}");
    }

    /// <summary>The SQLite database file of <paramref name="dataDirectory"/>, absolute.</summary>
    public static string SqliteFile(string dataDirectory) => Path.GetFullPath(Path.Combine(dataDirectory, "polydev.db"));

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken);
        }

        var connection = new SqliteConnection(_sqliteConnectionString);
        await connection.OpenAsync(cancellationToken);
        // The pragmas belong to the native connection, which the pool hands out again and again: set them the first
        // time only, instead of parsing and running two statements on every open (issue 19).
        if (connection.Handle is { } handle && !_configured.TryGetValue(handle, out _))
        {
            await using var pragma = connection.CreateCommand();
            // WAL + NORMAL is SQLite's recommended pairing: the file never corrupts, and a power cut
            // can lose only the last commits, not the database; FULL would fsync every commit.
            // busy_timeout lets SQLite wait for the write lock in millisecond steps instead of the
            // provider's coarse retry sleeps, which showed up as 150 ms tails under concurrent writes.
            pragma.CommandText = "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            _configured.AddOrUpdate(handle, handle);
        }

        return connection;
    }

    /// <summary>True when <paramref name="exception"/> is a unique or primary-key violation.</summary>
    public static bool IsUniqueViolation(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode is 2067 or 1555,
        _ => false,
    };

    /// <summary>True when <paramref name="exception"/> is a foreign-key violation.</summary>
    public static bool IsForeignKeyViolation(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.ForeignKeyViolation,
        SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode == 787,
        _ => false,
    };

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
        else
        {
            SqliteConnection.ClearAllPools();
        }
    }
}
