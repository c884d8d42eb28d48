using System.Formats.Tar;
using System.Net;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>
/// The build context of the login image (images/login/Dockerfile), streamed as a tar like
/// <see cref="RuntimeImageContext"/>: the Dockerfile, <c>polydev-agent</c>, <c>node/node</c> and, for every provider,
/// <c>cli/{provider}/</c> (its npm prefix, symbolic links kept, hard links sent once).
/// </summary>
public sealed class LoginImageContext : HttpContent
{
    private readonly string _dockerfile;
    private readonly string _agent;
    private readonly string _node;
    private readonly IReadOnlyList<(string Provider, string Prefix)> _clis;

    /// <param name="dockerfile">images/login/Dockerfile.</param>
    /// <param name="agent">The published polydev-agent binary.</param>
    /// <param name="node">The Node.js binary.</param>
    /// <param name="clis">Each provider with its npm prefix (holding node_modules/).</param>
    public LoginImageContext(string dockerfile, string agent, string node, IReadOnlyList<(string Provider, string Prefix)> clis)
    {
        _dockerfile = dockerfile;
        _agent = agent;
        _node = node;
        _clis = clis;
        Headers.ContentType = new("application/x-tar");
    }

    /// <summary>Writes the tar to a stream (<c>polydev images build --stage</c>).</summary>
    public async Task WriteToAsync(Stream stream, CancellationToken cancellationToken)
    {
        // GNU format, as RuntimeImageContext explains: the docker CLI reads the first block to tell a tar from a Dockerfile.
        await using var writer = new TarWriter(stream, TarEntryFormat.Gnu, leaveOpen: true);
        await writer.WriteEntryAsync(_dockerfile, "Dockerfile", cancellationToken);
        await ImageContextTar.WriteFileAsync(writer, _agent, "polydev-agent", cancellationToken);
        await writer.WriteEntryAsync(ImageContextTar.Directory("node/"), cancellationToken);
        await ImageContextTar.WriteFileAsync(writer, _node, "node/node", cancellationToken);
        await writer.WriteEntryAsync(ImageContextTar.Directory("cli/"), cancellationToken);
        foreach (var (provider, prefix) in _clis.OrderBy(c => c.Provider, StringComparer.Ordinal))
        {
            await writer.WriteEntryAsync(ImageContextTar.Directory($"cli/{provider}/"), cancellationToken);
            await ImageContextTar.WritePrefixAsync(writer, prefix, $"cli/{provider}", cancellationToken);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        WriteToAsync(stream, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        WriteToAsync(stream, cancellationToken);

    protected override bool TryComputeLength(out long length)
    {
        // Sent chunked: the size is only known once the trees are walked.
        length = 0;
        return false;
    }
}
