using System.Diagnostics;
using System.Formats.Tar;
using System.Net;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>
/// The build context of one runtime image, streamed as a tar straight into the request body (nothing is staged
/// on disk): the Dockerfile, <c>polydev-agent</c>, <c>node/</c> (the Node binary, or empty) and <c>cli/</c> (the
/// provider's npm prefix, symbolic links kept; a file hard-linked under several names, as claude-code's 400 MB
/// binary is, is sent once and its other names become symbolic links to it). Entries are written in name order.
/// </summary>
public sealed class RuntimeImageContext : HttpContent
{
    private readonly string _dockerfile;
    private readonly string _agent;
    private readonly string? _node;
    private readonly string _cliPrefix;

    /// <param name="dockerfile">images/runtime/Dockerfile.</param>
    /// <param name="agent">The published polydev-agent binary.</param>
    /// <param name="node">The Node.js binary, or null when the CLI needs none.</param>
    /// <param name="cliPrefix">The provider's npm prefix (holding node_modules/).</param>
    public RuntimeImageContext(string dockerfile, string agent, string? node, string cliPrefix)
    {
        _dockerfile = dockerfile;
        _agent = agent;
        _node = node;
        _cliPrefix = cliPrefix;
        Headers.ContentType = new("application/x-tar");
    }

    /// <summary>Writes the same tar to a stream (<c>polydev images build --stage</c>: for <c>docker build - &lt; context.tar</c>).</summary>
    public async Task WriteToAsync(Stream stream, CancellationToken cancellationToken)
    {
        // GNU format, not PAX: .NET's PAX entries each start with an extended header, and `docker build - < context.tar`
        // decides "tar or Dockerfile" from the first block alone. GNU long names cover node_modules' deep paths.
        await using var writer = new TarWriter(stream, TarEntryFormat.Gnu, leaveOpen: true);
        await writer.WriteEntryAsync(_dockerfile, "Dockerfile", cancellationToken);
        await WriteFileAsync(writer, _agent, "polydev-agent", cancellationToken);
        await writer.WriteEntryAsync(Directory(), cancellationToken);
        if (_node is not null)
        {
            await WriteFileAsync(writer, _node, "node/node", cancellationToken);
        }

        await writer.WriteEntryAsync(Directory("cli/"), cancellationToken);
        var hardLinks = await HardLinkedFilesAsync(_cliPrefix, cancellationToken);
        await WriteTreeAsync(writer, new DirectoryInfo(_cliPrefix), _cliPrefix, "cli", hardLinks, new Dictionary<string, string>(), cancellationToken);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        WriteToAsync(stream, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        WriteToAsync(stream, cancellationToken);

    protected override bool TryComputeLength(out long length)
    {
        // Sent chunked: the size is only known once the tree is walked.
        length = 0;
        return false;
    }

    private static GnuTarEntry Directory(string name = "node/") =>
        new(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 };

    /// <summary>A regular file under the given name, following a symbolic link (node_modules/.bin/node is one).</summary>
    private static async Task WriteFileAsync(TarWriter writer, string path, string name, CancellationToken cancellationToken)
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
