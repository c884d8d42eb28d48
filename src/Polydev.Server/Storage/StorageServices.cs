namespace Polydev.Server.Storage;

/// <summary>The database (SQLite or PostgreSQL), its migrations, and the readiness check that it answers.</summary>
public static class StorageServices
{
    /// <param name="postgresConnectionString">Empty or null: SQLite under <paramref name="dataDirectory"/>.</param>
    public static IServiceCollection AddStorage(this IServiceCollection services, string? postgresConnectionString, string dataDirectory)
    {
        services.AddSingleton(_ => Database.Create(postgresConnectionString, dataDirectory));
        services.AddSingleton<Migrator>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }
}
