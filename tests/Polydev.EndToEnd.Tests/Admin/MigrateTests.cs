using Polydev.Server.Storage;

namespace Polydev.EndToEnd.Tests.Admin;

/// <summary>
/// Issue 20, "One-command deploy": <c>polydev admin migrate --backup FILE</c>, what a deploy runs before it switches to
/// a new release, takes the backup first and prints the versions before and after; the file restores into a fresh
/// server, which migrates it on start, and the password opens the vault there.
/// </summary>
public sealed class MigrateTests
{
    [Theory]
    [MemberData(nameof(ServerStorage.Engines), MemberType = typeof(ServerStorage))]
    public async Task Migrate_with_backup_writes_a_file_that_restores_and_prints_the_versions(string engine)
    {
        await using var source = await ServerStorage.CreateAsync(engine);
        await using var target = await ServerStorage.CreateAsync(engine);
        var file = source.BackupFile();
        var user = VaultUser.New("migrated");
        await using (var server = await source.StartServerAsync())
        {
            using var cli = await user.FillAsync(server);
        }

        // The database as the release before the last migration left it.
        var last = AppliedSchema.Known.Migrations[^1];
        var previous = AppliedSchema.Known.Migrations[^2];
        Assert.Equal("key rotation required after recovery", last.Name);
        await source.ExecuteAsync($"DELETE FROM schema_migrations WHERE version = {last.Version}");
        await source.ExecuteAsync("ALTER TABLE users DROP COLUMN key_rotation_required");

        var status = (await source.AdminAsync("migrate", "--status")).Succeeded().Stdout;
        Assert.Contains($"schema version: {previous.Version} ({previous.Name})", status, StringComparison.Ordinal);
        Assert.Contains($"pending: {last.Version} ({last.Name})", status, StringComparison.Ordinal);

        var migrate = (await source.AdminAsync("migrate", "--backup", file)).Succeeded();
        var lines = migrate.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("backed up ", lines[0], StringComparison.Ordinal);
        Assert.Contains($"schema version {previous.Version},", lines[0], StringComparison.Ordinal);
        Assert.EndsWith($": schema version {previous.Version} -> {last.Version} (1 migration)", lines[1], StringComparison.Ordinal);
        Assert.Equal(previous.Version, BackupArchive.Manifest(file).GetProperty("schemaVersion").GetInt32());
        Assert.Contains($"pending: none", (await source.AdminAsync("migrate", "--status")).Succeeded().Stdout, StringComparison.Ordinal);
        Assert.EndsWith($": schema version {last.Version}, up to date\n", (await source.AdminAsync("migrate")).Succeeded().Stdout, StringComparison.Ordinal);

        var restore = (await target.AdminAsync("restore", "--input", file)).Succeeded();
        Assert.Contains($"migrates it to {last.Version} when the server starts", restore.Stderr, StringComparison.Ordinal);
        Assert.Contains($"schema version: {previous.Version} ", (await target.AdminAsync("migrate", "--status")).Succeeded().Stdout, StringComparison.Ordinal);
        await using (var server = await target.StartServerAsync())
        {
            await user.AssertVaultOpensAsync(server);
        }

        Assert.Contains($"schema version: {last.Version} ", (await target.AdminAsync("migrate", "--status")).Succeeded().Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_refuses_a_database_a_newer_release_migrated()
    {
        await using var storage = await ServerStorage.CreateAsync(ServerStorage.Sqlite);
        (await storage.AdminAsync("migrate")).Succeeded();
        await storage.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from a later release', 0)");

        var line = (await storage.AdminAsync("migrate", "--backup", Path.Combine(storage.DataDirectory, "x.backup"))).FailedWithOneLine();
        Assert.Contains($"newer than this polydev knows ({AppliedSchema.Known.Version})", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(storage.DataDirectory, "x.backup")));
        Assert.Contains("pending: none; it is at schema version 99", (await storage.AdminAsync("migrate", "--status")).Succeeded().Stdout, StringComparison.Ordinal);
    }
}
