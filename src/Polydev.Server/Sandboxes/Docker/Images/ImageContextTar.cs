using System.Diagnostics;
using System.Formats.Tar;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>
/// The tar entries the image contexts share (<see cref="RuntimeImageContext"/>, <see cref="LoginImageContext"/>): files
/// with mode 0755, directories, and npm prefixes as the classic builder's <c>COPY</c> needs them.
/// </summary>
internal static class ImageContextTar
{
    /// <summary>A directory entry, mode 0755.</summary>
    public static GnuTarEntry Directory(string name) =>
        new(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 };

    /// <summary>A regular file under the given name, following a symbolic link (node_modules/.bin/node is one).</summary>
    public static async Task WriteFileAsync(TarWriter writer, string path, string name, CancellationToken cancellationToken)
    {
        var file = new FileInfo(path);
        var target = file.LinkTarget is null ? file : (FileInfo?)file.ResolveLinkTarget(returnFinalTarget: true) ?? file;
        await using var content = target.OpenRead();
        var entry = new GnuTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = (UnixFileMode)0b111_101_101,
            ModificationTime = target.LastWriteTimeUtc,
            DataStream = content,
        };
        await writer.WriteEntryAsync(entry, cancellationToken);
    }

    /// <summary>
    /// An npm prefix under <paramref name="name"/>, symbolic links kept; a file hard-linked under several names is sent
    /// once and its other names become relative symbolic links to it.
    /// </summary>
    public static async Task WritePrefixAsync(TarWriter writer, string prefix, string name, CancellationToken cancellationToken)
    {
        var hardLinks = await HardLinkedFilesAsync(prefix, cancellationToken);
        await WriteTreeAsync(writer, new DirectoryInfo(prefix), prefix, name, hardLinks, new Dictionary<string, string>(), cancellationToken);
    }

    private static async Task WriteTreeAsync(
        TarWriter writer, DirectoryInfo directory, string root, string name, IReadOnlyDictionary<string, string> hardLinks, Dictionary<string, string> written, CancellationToken cancellationToken)
    {
        var entries = directory.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 })
            .OrderBy(e => e.Name, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var entryName = $"{name}/{entry.Name}";
            if (entry is FileInfo { LinkTarget: null } && hardLinks.TryGetValue(Path.GetRelativePath(root, entry.FullName), out var inode))
            {
                if (written.TryGetValue(inode, out var first))
                {
                    // A relative symbolic link, not a hard link: the classic builder's COPY copies hard links apart.
                    var link = Path.GetRelativePath(Path.GetDirectoryName(entryName)!, first);
                    await writer.WriteEntryAsync(new GnuTarEntry(TarEntryType.SymbolicLink, entryName) { LinkName = link }, cancellationToken);
                    continue;
                }

                written[inode] = entryName;
            }

            await writer.WriteEntryAsync(entry.FullName, entryName, cancellationToken);
            if (entry is DirectoryInfo { LinkTarget: null } child)
            {
                await WriteTreeAsync(writer, child, root, entryName, hardLinks, written, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Regular files with more than one link, as relative path → <c>device:inode</c>. .NET 10's TarWriter writes
    /// each name as a full copy and has no inode API, so GNU find (one call per tree) names them.
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, string>> HardLinkedFilesAsync(string root, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("find") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[root, "-type", "f", "-links", "+1", "-printf", @"%D:%i\t%P\0"])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new ImageBuildException("could not start find");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new ImageBuildException($"find over {root} failed (exit {process.ExitCode}): {errors.Trim()}");
        }

        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var record in output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = record.IndexOf('\t');
            links[record[(tab + 1)..]] = record[..tab];
        }

        return links;
    }
}
