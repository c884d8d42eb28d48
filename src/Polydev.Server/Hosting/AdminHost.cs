using Microsoft.Extensions.Logging.Console;
using Polydev.Server.Storage.Backups;

namespace Polydev.Server.Hosting;

/// <summary>
/// <c>polydev admin</c>: the server's database without the server, configured exactly as <c>polydev server</c> is
/// (appsettings.json beside the binary, <c>POLYDEV_</c> variables, then <c>--data</c>/<c>--database</c>), logging
/// through the one logging path, to stderr so stdout keeps the verb's result.
/// </summary>
public sealed class AdminHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private AdminHost(ServiceProvider services) => _services = services;

    public DatabaseBackups Backups => _services.GetRequiredService<DatabaseBackups>();

    public DatabaseMigration Migration => _services.GetRequiredService<DatabaseMigration>();

    /// <param name="overrides">Settings given as command-line options (<c>Data</c>, <c>Database</c>); they win over everything else.</param>
    public static AdminHost Open(IReadOnlyDictionary<string, string?> overrides)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables(PolydevServer.EnvironmentPrefix)
            .AddInMemoryCollection(overrides)
            .Build();
        var options = configuration.Get<ServerOptions>() ?? new ServerOptions();

        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddLogging(logging => logging.AddPolydevLogging(configuration));
        services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        // Made when first asked for: a SQLite backup or restore opens the file itself and must not create the data directory.
        services.AddSingleton(_ => Database.Create(options.Database, options.Data));
        services.AddSingleton<Migrator>();
        services.AddSingleton<IDatabaseBackup>(provider => string.IsNullOrWhiteSpace(options.Database)
            ? new SqliteBackup(Database.SqliteFile(options.Data))
            : new PostgresBackup(provider.GetRequiredService<Database>(), options.Database));
        services.AddSingleton<DatabaseBackups>();
        services.AddSingleton<DatabaseMigration>();
        return new AdminHost(services.BuildServiceProvider());
    }

    /// <summary>Closes the database and flushes the log.</summary>
    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
