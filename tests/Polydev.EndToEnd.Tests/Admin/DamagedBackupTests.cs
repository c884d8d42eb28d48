using System.Text.Json.Nodes;
using Polydev.Server.Storage;

namespace Polydev.EndToEnd.Tests.Admin;

/// <summary>
/// Issue 20, "Backups": a backup file that is cut short, has a changed byte, is not a backup, is of the other engine or
/// of a schema this polydev does not know is refused, even with --force, in one line, and the database it was to
/// replace is left exactly as it was; the intact file then restores.
/// </summary>
public sealed class DamagedBackupTests
{
    [Theory]
    [MemberData(nameof(ServerStorage.Engines), MemberType = typeof(ServerStorage))]
    public async Task Damaged_or_foreign_backups_are_refused_and_the_database_is_left_as_it_was(string engine)
    {
        await using var source = await ServerStorage.CreateAsync(engine);
        await using var target = await ServerStorage.CreateAsync(engine);
        var work = source.BackupDirectory;
        var intact = Path.Combine(work, "intact.backup");
        var user = VaultUser.New("intact");
        var kept = VaultUser.New("kept");
        await using (var server = await source.StartServerAsync())
        {
            using var cli = await user.FillAsync(server);
        }

        (await source.AdminAsync("backup", "--output", intact)).Succeeded();
        await using (var server = await target.StartServerAsync())
        {
            using var cli = await kept.FillAsync(server);
        }

        var bytes = await File.ReadAllBytesAsync(intact);
        var otherEngine = engine == ServerStorage.Postgres ? "sqlite" : "postgresql";
        var cases = new (string Name, Action<string> Make, string Expected)[]
        {
            ("half", f => File.WriteAllBytes(f, bytes[..(bytes.Length / 2)]), "is damaged"),
            ("short-by-one-block", f => File.WriteAllBytes(f, bytes[..(bytes.Length - 1536)]), "is damaged"),
            ("manifest-only", f => File.WriteAllBytes(f, bytes[..700]), "is damaged"),
            ("empty", f => File.WriteAllBytes(f, []), "is not a Polydev backup"),
            ("text", f => File.WriteAllText(f, "not a backup\n"), "is not a Polydev backup"),
            ("flipped-byte", f => BackupArchive.Rewrite(intact, f, payload: p => p[p.Length / 2] ^= 0x20), "does not match the SHA-256"),
            ("other-engine", f => BackupArchive.Rewrite(intact, f, manifest: m => m["engine"] = otherEngine), $"is a {otherEngine} backup"),
            ("newer-schema", f => BackupArchive.Rewrite(intact, f, manifest: m =>
            {
                m["schemaVersion"] = 99;
                m["migrations"]!.AsArray().Add(new JsonObject { ["version"] = 99, ["name"] = "from a later release" });
            }), $"newer than this polydev knows ({AppliedSchema.Known.Version})"),
            ("other-schema", f => BackupArchive.Rewrite(intact, f, manifest: m => m["migrations"]![1]!["name"] = "a fork's own migration"), "not the same schema"),
        };

        var before = await target.FingerprintAsync();
        foreach (var (name, make, expected) in cases)
        {
            var file = Path.Combine(work, $"{name}.backup");
            make(file);
            var line = (await target.AdminAsync("restore", "--input", file, "--force")).FailedWithOneLine();
            Assert.StartsWith($"polydev admin restore: {file} ", line, StringComparison.Ordinal);
            Assert.Contains(expected, line, StringComparison.Ordinal);
            Assert.True(before == await target.FingerprintAsync(), $"the database changed after the refused restore of '{name}'");
        }

        (await target.AdminAsync("restore", "--input", intact, "--force")).Succeeded();
        await using (var server = await target.StartServerAsync())
        {
            await user.AssertVaultOpensAsync(server);
        }
    }
}
