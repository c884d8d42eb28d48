using System.Formats.Tar;
using System.Net;

namespace Polydev.Server.Sandboxes.Images;

/// <summary>
/// The build context of one runtime image, streamed as a tar straight into the request body (nothing is staged
/// on disk): the Dockerfile, <c>polydev-agent</c>, <c>node/</c> (the Node binary, or empty) and <c>cli/</c> (the
/// provider's npm prefix, symbolic links kept as links). Entries are written in name order.
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
        await using var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true);
        await writer.WriteEntryAsync(_dockerfile, "Dockerfile", cancellationToken);
        await WriteFileAsync(writer, _agent, "polydev-agent", cancellationToken);
        await writer.WriteEntryAsync(Directory(), cancellationToken);
        if (_node is not null)
        {
            await WriteFileAsync(writer, _node, "node/node", cancellationToken);
        }

        await writer.WriteEntryAsync(Directory("cli/"), cancellationToken);
        await WriteTreeAsync(writer, new DirectoryInfo(_cliPrefix), "cli", cancellationToken);
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

    private static PaxTarEntry Directory(string name = "node/") =>
        new(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 };

    /// <summary>A regular file under the given name, following a symbolic link (node_modules/.bin/node is one).</summary>
    private static async Task WriteFileAsync(TarWriter writer, string path, string name, CancellationToken cancellationToken)
    {
        var file = new FileInfo(path);
        var target = file.LinkTarget is null ? file : (FileInfo?)file.ResolveLinkTarget(returnFinalTarget: true) ?? file;
        await using var content = target.OpenRead();
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = (UnixFileMode)0b111_101_101,
            ModificationTime = target.LastWriteTimeUtc,
            DataStream = content,
        };
        await writer.WriteEntryAsync(entry, cancellationToken);
    }

    private static async Task WriteTreeAsync(TarWriter writer, DirectoryInfo directory, string name, CancellationToken cancellationToken)
    {
        var entries = directory.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 })
            .OrderBy(e => e.Name, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var entryName = $"{name}/{entry.Name}";
            await writer.WriteEntryAsync(entry.FullName, entryName, cancellationToken);
            if (entry is DirectoryInfo { LinkTarget: null } child)
            {
                await WriteTreeAsync(writer, child, entryName, cancellationToken);
            }
        }
    }
}
