using Polydev.Server.Storage;

namespace Polydev.EndToEnd.Tests.Admin;

/// <summary>
/// Issue 20, "Backups": <c>polydev admin backup</c> of a running server and <c>restore</c> into a fresh one, where the
/// user, with nothing but the password, opens the vault again; a database with accounts is replaced only with --force,
/// and never under a running server.
/// </summary>
public sealed class BackupRestoreTests
{
    [Theory]
    [MemberData(nameof(ServerStorage.Engines), MemberType = typeof(ServerStorage))]
    public async Task A_backup_of_a_running_server_restores_into_a_fresh_one_where_the_password_opens_the_vault(string engine)
    {
        await using var source = await ServerStorage.CreateAsync(engine);
        await using var target = await ServerStorage.CreateAsync(engine);
        var backups = source.BackupDirectory;
        var file = source.BackupFile();
        var user = VaultUser.New("restored");

        await using (var server = await source.StartServerAsync())
        {
            using var cli = await user.FillAsync(server);
            var backup = (await source.AdminAsync("backup", "--output", file)).Succeeded();
            Assert.Contains($"to {file}: schema version {AppliedSchema.Known.Version}", backup.Stdout, StringComparison.Ordinal);
            // The log line goes through the server's logging path, to stderr.
            Assert.Contains("\"event\":\"backup_written\"", backup.Stderr, StringComparison.Ordinal);
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        Assert.Equal([file], Directory.GetFileSystemEntries(backups));
        var payload = engine == ServerStorage.Postgres ? "polydev.pgdump" : "polydev.db";
        Assert.Equal([BackupArchive.ManifestEntry, payload], BackupArchive.EntryNames(file));
        var manifest = BackupArchive.Manifest(file);
        Assert.Equal(engine == ServerStorage.Postgres ? "postgresql" : "sqlite", manifest.GetProperty("engine").GetString());
        Assert.Equal(AppliedSchema.Known.Version, manifest.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(AppliedSchema.Known.Migrations.Select(m => m.Name), manifest.GetProperty("migrations").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.False(string.IsNullOrEmpty(manifest.GetProperty("polydevVersion").GetString()));
        Assert.InRange(manifest.GetProperty("createdAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);
        Assert.Equal(64, manifest.GetProperty("payload").GetProperty("sha256").GetString()!.Length);

        var restore = (await target.AdminAsync("restore", "--input", file)).Succeeded();
        Assert.Contains($"schema version {AppliedSchema.Known.Version}", restore.Stdout, StringComparison.Ordinal);

        await using var fresh = await target.StartServerAsync();
        await user.AssertVaultOpensAsync(fresh);
    }

    [Theory]
    [MemberData(nameof(ServerStorage.Engines), MemberType = typeof(ServerStorage))]
    public async Task A_database_with_accounts_is_replaced_only_with_force_and_never_under_a_running_server(string engine)
    {
        await using var source = await ServerStorage.CreateAsync(engine);
        await using var target = await ServerStorage.CreateAsync(engine);
        var file = source.BackupFile();
        var restored = VaultUser.New("from-backup");
        var replaced = VaultUser.New("replaced");
        await using (var server = await source.StartServerAsync())
        {
            using var cli = await restored.FillAsync(server);
        }

        (await source.AdminAsync("backup", "--output", file)).Succeeded();

        await using (var server = await target.StartServerAsync())
        {
            using var cli = await replaced.FillAsync(server);
            var busy = (await target.AdminAsync("restore", "--input", file, "--force")).FailedWithOneLine();
            Assert.StartsWith("polydev admin restore: ", busy, StringComparison.Ordinal);
            Assert.Contains("is polydev server running on it?", busy, StringComparison.Ordinal);
        }

        var untouched = await target.FingerprintAsync();
        var refused = (await target.AdminAsync("restore", "--input", file)).FailedWithOneLine();
        Assert.Contains("is not empty: it holds 1 account; add --force", refused, StringComparison.Ordinal);
        Assert.Equal(untouched, await target.FingerprintAsync());

        (await target.AdminAsync("restore", "--input", file, "--force")).Succeeded();
        await using (var server = await target.StartServerAsync())
        {
            await restored.AssertVaultOpensAsync(server);
            await replaced.AssertCannotLogInAsync(server);
        }
    }

    /// <summary>
    /// A deploy's rollback restores the backup taken before the new release migrated: whatever that release added must
    /// go, or the next migration could not add it again (PostgreSQL's <c>pg_restore --clean</c> alone would keep such a
    /// table, and its foreign key would even stop it dropping <c>users</c>).
    /// </summary>
    [Theory]
    [MemberData(nameof(ServerStorage.Engines), MemberType = typeof(ServerStorage))]
    public async Task A_forced_restore_leaves_nothing_of_a_newer_release_behind(string engine)
    {
        await using var storage = await ServerStorage.CreateAsync(engine);
        var file = storage.BackupFile();
        var user = VaultUser.New("rolled-back");
        await using (var server = await storage.StartServerAsync())
        {
            using var cli = await user.FillAsync(server);
        }

        (await storage.AdminAsync("migrate", "--backup", file)).Succeeded();
        // What a later release's migration might have done, and a row written by it.
        await storage.ExecuteAsync("CREATE TABLE later_feature (user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, note TEXT NOT NULL)");
        await storage.ExecuteAsync("INSERT INTO later_feature (user_id, note) SELECT id, 'written by the later release' FROM users");
        await storage.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'later feature', 0)");

        (await storage.AdminAsync("restore", "--input", file, "--force")).Succeeded();
        Assert.DoesNotContain("later_feature", await storage.DumpAsync(), StringComparison.Ordinal);
        Assert.Contains("pending: none", (await storage.AdminAsync("migrate", "--status")).Succeeded().Stdout, StringComparison.Ordinal);
        await storage.ExecuteAsync("CREATE TABLE later_feature (user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, note TEXT NOT NULL)");
        await using (var server = await storage.StartServerAsync())
        {
            await user.AssertVaultOpensAsync(server);
        }
    }
}
