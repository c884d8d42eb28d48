using System.Formats.Tar;
using System.Security.Cryptography;

namespace Polydev.Server.Storage.Backups;

/// <summary>
/// Writes the backup file: a POSIX (pax) tar archive of two entries, the manifest (<c>polydev-backup.json</c>) and
/// then the database (<c>polydev.db</c> or <c>polydev.pgdump</c>), so <c>tar -xOf FILE polydev-backup.json</c> shows
/// what a file is without Polydev. It goes to a temporary file beside the target, mode 0600 from its creation (it
/// holds password hashes, wrapped keys and ciphertext), is flushed to disk and renamed over the target: the file is
/// whole or not there, and a backup that fails leaves the previous one in place.
/// </summary>
public static class BackupFile
{
    /// <summary>Owner read and write: the mode of every file a backup or restore makes.</summary>
    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static async Task<BackupManifest> WriteAsync(string output, string payloadPath, string payloadName, Func<BackupPayload, BackupManifest> describe, CancellationToken cancellationToken)
    {
        var (size, sha256) = await HashAsync(payloadPath, cancellationToken);
        var manifest = describe(new BackupPayload(payloadName, size, sha256));
        var temporary = Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.{Guid.NewGuid():N}.partial");
        try
        {
            await using (var stream = CreatePrivate(temporary))
            {
                await using (var tar = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
                {
                    using var json = new MemoryStream(manifest.ToJson());
                    await tar.WriteEntryAsync(Entry(BackupManifest.EntryName, json, manifest.CreatedAt), cancellationToken);
                    await using var payload = File.OpenRead(payloadPath);
                    await tar.WriteEntryAsync(Entry(payloadName, payload, manifest.CreatedAt), cancellationToken);
                }

                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, output, overwrite: true);
            return manifest;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Creates <paramref name="path"/>, which must not exist, readable and writable by its owner only.</summary>
    public static FileStream CreatePrivate(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }

        return new FileStream(path, options);
    }

    /// <summary>Makes a directory only its owner can enter, for the work files of one backup or restore.</summary>
    public static string CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    private static PaxTarEntry Entry(string name, Stream data, DateTimeOffset time) => new(TarEntryType.RegularFile, name)
    {
        DataStream = data,
        Mode = PrivateFile,
        ModificationTime = time,
    };

    private static async Task<(long Size, string Sha256)> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return (stream.Length, Convert.ToHexStringLower(hash));
    }
}
