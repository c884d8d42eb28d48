using Microsoft.Extensions.Logging.Abstractions;
using Polydev.Server.Storage;
using Polydev.Server.Storage.Backups;

namespace Polydev.Server.Tests.Storage.Backups;

/// <summary>
/// The backup file cut at any point is refused before anything is put in place: no database file appears where the
/// restore would have written it, and no staged copy is left beside it.
/// </summary>
public sealed class BackupFileTests
{
    [Fact]
    public async Task A_backup_cut_anywhere_is_refused_and_leaves_nothing_behind()
    {
        var root = Directory.CreateTempSubdirectory("polydev-backupfile-").FullName;
        try
        {
            var source = Path.Combine(root, "source");
            await using (var database = Database.Create(null, source))
            {
                await new Migrator(database, TimeProvider.System, NullLogger<Migrator>.Instance).MigrateAsync();
            }

            var file = Path.Combine(root, "whole.backup");
            var manifest = await Backups(source).BackupAsync(file, CancellationToken.None);
            Assert.Equal(AppliedSchema.Known.Version, manifest.SchemaVersion);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            Assert.Equal(["source", "whole.backup"], Directory.GetFileSystemEntries(root).Select(Path.GetFileName).Order());

            var bytes = await File.ReadAllBytesAsync(file);
            var cuts = new[] { 0, 1, 511, 512, 1024, 1536, 2048, 3000 }
                .Concat(Enumerable.Range(1, 12).Select(i => bytes.Length * i / 13))
                .Concat([bytes.Length - 1024 - 1, bytes.Length - 2048]);
            foreach (var cut in cuts)
            {
                var truncated = Path.Combine(root, $"cut-{cut}.backup");
                await File.WriteAllBytesAsync(truncated, bytes[..cut]);
                var target = Path.Combine(root, $"target-{cut}");
                var refused = await Assert.ThrowsAsync<BackupException>(() => Backups(target).RestoreAsync(truncated, force: true, CancellationToken.None));
                Assert.StartsWith(truncated + " ", refused.Message, StringComparison.Ordinal);
                var left = Directory.Exists(target) ? Directory.GetFileSystemEntries(target) : [];
                Assert.True(left.Length == 0, $"cut at {cut} of {bytes.Length} left {string.Join(", ", left)}");
            }

            // The whole file restores.
            var restored = Path.Combine(root, "restored");
            await Backups(restored).RestoreAsync(file, force: false, CancellationToken.None);
            Assert.Equal(["polydev.db"], Directory.GetFileSystemEntries(restored).Select(Path.GetFileName));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    private static DatabaseBackups Backups(string dataDirectory) =>
        new(new SqliteBackup(Database.SqliteFile(dataDirectory)), TimeProvider.System, NullLogger<DatabaseBackups>.Instance);
}
