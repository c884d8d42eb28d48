namespace Polydev.Server.Storage.Backups;

/// <summary>
/// <c>polydev admin backup</c> and <c>restore</c>, the same for both engines: a backup is the engine's consistent
/// copy written into one file with its manifest (<see cref="BackupFile"/>); a restore reads the manifest first and
/// refuses, before touching the database, a file of the other engine or of a schema this build does not know, then
/// lets the engine put the copy in place all or nothing.
/// </summary>
public sealed partial class DatabaseBackups(IDatabaseBackup engine, TimeProvider clock, ILogger<DatabaseBackups> logger)
{
    public string Description => engine.Description;

    public async Task<BackupManifest> BackupAsync(string output, CancellationToken cancellationToken)
    {
        var file = Path.GetFullPath(output);
        var directory = Path.GetDirectoryName(file)!;
        if (Directory.Exists(file))
        {
            throw new BackupException($"{output} is a directory: give --output a file name");
        }

        if (!Directory.Exists(directory))
        {
            throw new BackupException($"{directory} does not exist: create the directory for --output first");
        }

        var started = clock.GetTimestamp();
        var createdAt = clock.GetUtcNow();
        // Beside the output, so the finished file is renamed into place within one file system.
        var work = BackupFile.CreatePrivateDirectory(Path.Combine(directory, $".polydev-backup-{Guid.NewGuid():N}"));
        try
        {
            var payload = Path.Combine(work, engine.PayloadName);
            await using (BackupFile.CreatePrivate(payload))
            {
            }

            var snapshot = await engine.DumpAsync(payload, cancellationToken);
            var manifest = await BackupFile.WriteAsync(file, payload, engine.PayloadName,
                p => BackupManifest.Describe(engine.Engine, snapshot.Schema, createdAt, engine.Description, snapshot.Tool, p), cancellationToken);
            LogBackupWritten(logger, engine.Description, file, manifest.SchemaVersion, manifest.Payload.Size, clock.GetElapsedTime(started).TotalSeconds);
            return manifest;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    public async Task<BackupManifest> RestoreAsync(string input, bool force, CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        await using var backup = await BackupReader.OpenAsync(input, cancellationToken);
        var manifest = backup.Manifest;
        EnsureRestorable(input, manifest);
        await engine.RestoreAsync(backup, force, cancellationToken);
        LogRestored(logger, engine.Description, Path.GetFullPath(input), manifest.SchemaVersion, manifest.PolydevVersion, manifest.CreatedAt, clock.GetElapsedTime(started).TotalSeconds);
        return manifest;
    }

    private void EnsureRestorable(string input, BackupManifest manifest)
    {
        if (manifest.DatabaseEngine != engine.Engine)
        {
            throw new BackupException(
                $"{input} is a {BackupManifest.EngineName(manifest.DatabaseEngine)} backup and this server uses {BackupManifest.EngineName(engine.Engine)} ({engine.Description}): a backup restores into the engine it was taken from");
        }

        if (manifest.Applied.Version != manifest.SchemaVersion)
        {
            throw new BackupException($"{input} is damaged: its manifest says schema version {manifest.SchemaVersion} but lists migrations up to {manifest.Applied.Version}");
        }

        if (manifest.Applied.Mismatch() is { } why)
        {
            throw new BackupException($"{input} was taken by Polydev {manifest.PolydevVersion} and cannot be restored by this one ({BackupManifest.PolydevBuild}): {why}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, EventName = "backup_written",
        Message = "Backed up {Database} to {File}: schema version {SchemaVersion}, {Bytes} bytes of database in {Seconds:0.00} s")]
    private static partial void LogBackupWritten(ILogger logger, string database, string file, int schemaVersion, long bytes, double seconds);

    [LoggerMessage(Level = LogLevel.Information, EventName = "backup_restored",
        Message = "Restored {Database} from {File}: schema version {SchemaVersion}, taken by Polydev {PolydevVersion} at {TakenAt:O}, in {Seconds:0.00} s")]
    private static partial void LogRestored(ILogger logger, string database, string file, int schemaVersion, string polydevVersion, DateTimeOffset takenAt, double seconds);
}
