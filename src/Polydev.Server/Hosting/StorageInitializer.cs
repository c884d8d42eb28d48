using Polydev.Server.Accounts;

namespace Polydev.Server.Hosting;

/// <summary>Runs before the server accepts requests: migrations, then per-installation secrets.</summary>
public sealed class StorageInitializer(Migrator migrator, PreloginSalts preloginSalts)
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken);
        await preloginSalts.InitializeAsync(cancellationToken);
    }
}
