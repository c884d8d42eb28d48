using System.Formats.Tar;
using System.Net;

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
        await ImageContextTar.WriteFileAsync(writer, _agent, "polydev-agent", cancellationToken);
        await writer.WriteEntryAsync(ImageContextTar.Directory("node/"), cancellationToken);
        if (_node is not null)
        {
            await ImageContextTar.WriteFileAsync(writer, _node, "node/node", cancellationToken);
        }

        await writer.WriteEntryAsync(ImageContextTar.Directory("cli/"), cancellationToken);
        await ImageContextTar.WritePrefixAsync(writer, _cliPrefix, "cli", cancellationToken);
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
}
