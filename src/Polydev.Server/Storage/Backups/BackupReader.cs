using System.Formats.Tar;
using System.Security.Cryptography;

namespace Polydev.Server.Storage.Backups;

/// <summary>
/// Reads a backup file (<see cref="BackupFile"/>): the manifest first, so a restore refuses a file it cannot use
/// before it touches anything, then the database, copied out and checked against the manifest's size and SHA-256. A
/// file that is not a backup, is cut short or has a changed byte is refused with one sentence saying so.
/// </summary>
public sealed class BackupReader : IAsyncDisposable
{
    private readonly FileStream _stream;
    private readonly TarReader _tar;

    private BackupReader(FileStream stream, TarReader tar, string path, BackupManifest manifest)
    {
        _stream = stream;
        _tar = tar;
        Path = path;
        Manifest = manifest;
    }

    /// <summary>The file, as the operator named it.</summary>
    public string Path { get; }

    public BackupManifest Manifest { get; }

    public static async Task<BackupReader> OpenAsync(string path, CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BackupException($"{path} does not exist");
        }
        catch (UnauthorizedAccessException)
        {
            throw new BackupException($"{path} cannot be read: permission denied");
        }

        var tar = new TarReader(stream, leaveOpen: true);
        try
        {
            var manifest = await ReadManifestAsync(tar, path, cancellationToken);
            return new BackupReader(stream, tar, path, manifest);
        }
        catch
        {
            await tar.DisposeAsync();
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Copies the database out of the file to <paramref name="destination"/> (created, mode 0600), checking its
    /// size and SHA-256; on any mismatch the copy is deleted and the file refused as damaged.
    /// </summary>
    public async Task ExtractPayloadAsync(string destination, CancellationToken cancellationToken)
    {
        var expected = Manifest.Payload;
        var created = false;
        try
        {
            var entry = await _tar.GetNextEntryAsync(copyData: false, cancellationToken)
                ?? throw Damaged("it ends before the database in it (truncated)");
            if (entry.Name != expected.Name || entry.DataStream is null)
            {
                throw Damaged($"its second entry is '{entry.Name}', not the database '{expected.Name}'");
            }

            long copied;
            byte[] hash;
            await using (var output = BackupFile.CreatePrivate(destination))
            using (var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                created = true;
                copied = await CopyAsync(entry.DataStream, output, sha256, cancellationToken);
                await output.FlushAsync(cancellationToken);
                output.Flush(flushToDisk: true);
                hash = sha256.GetHashAndReset();
            }

            if (copied != expected.Size)
            {
                throw Damaged($"the database in it has {copied:N0} bytes where its manifest says {expected.Size:N0} (truncated)");
            }

            if (!string.Equals(Convert.ToHexStringLower(hash), expected.Sha256, StringComparison.Ordinal))
            {
                throw Damaged("the database in it does not match the SHA-256 its manifest records (corrupted)");
            }
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or FormatException)
        {
            DeleteIf(created, destination);
            throw Damaged("the archive ends or breaks off inside the database (truncated or corrupted)");
        }
        catch
        {
            DeleteIf(created, destination);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _tar.DisposeAsync();
        await _stream.DisposeAsync();
    }

    private static async Task<BackupManifest> ReadManifestAsync(TarReader tar, string path, CancellationToken cancellationToken)
    {
        TarEntry? entry;
        try
        {
            entry = await tar.GetNextEntryAsync(copyData: false, cancellationToken);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or FormatException)
        {
            throw NotABackup(path);
        }

        if (entry is null || entry.Name != BackupManifest.EntryName || entry.DataStream is null || entry.Length > BackupManifest.MaxBytes)
        {
            throw NotABackup(path);
        }

        var json = new byte[entry.Length];
        try
        {
            await entry.DataStream.ReadExactlyAsync(json, cancellationToken);
        }
        catch (EndOfStreamException)
        {
            throw new BackupException($"{path} is damaged: it ends inside its manifest (truncated)");
        }

        var manifest = BackupManifest.FromJson(json)
            ?? throw new BackupException($"{path} is not a Polydev backup: its {BackupManifest.EntryName} is not a backup manifest");
        if (manifest.FormatVersion > BackupManifest.CurrentFormatVersion)
        {
            throw new BackupException(
                $"{path} was written by a newer polydev ({manifest.PolydevVersion}, backup format {manifest.FormatVersion}); this one reads format {BackupManifest.CurrentFormatVersion}");
        }

        return manifest;
    }

    private static async Task<long> CopyAsync(Stream source, Stream destination, IncrementalHash hash, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            total += read;
        }

        return total;
    }

    private static void DeleteIf(bool created, string path)
    {
        if (created)
        {
            File.Delete(path);
        }
    }

    private static BackupException NotABackup(string path) =>
        new($"{path} is not a Polydev backup, or is damaged: it does not start with {BackupManifest.EntryName} (a file made by polydev admin backup is a tar archive)");

    private BackupException Damaged(string why) => new($"{Path} is damaged: {why}");
}
