using System.Security.Cryptography;
using System.Text;

namespace Polydev.Server.Sandboxes.Images;

/// <summary>Everything a runtime image is built from, as the image version sees it.</summary>
/// <param name="Cli">The provider's clis.tsv row.</param>
/// <param name="NodeVersion">The Node.js version in the image; null when the CLI needs no Node (none is copied in).</param>
/// <param name="DockerfileSha256">Hex SHA-256 of images/runtime/Dockerfile.</param>
/// <param name="AgentSha256">Hex SHA-256 of the polydev-agent binary.</param>
/// <param name="Base">The base image: its reference and, when the daemon has it, its image id.</param>
public sealed record RuntimeImageInputs(CliPin Cli, string? NodeVersion, string DockerfileSha256, string AgentSha256, string Base);

/// <summary>
/// The image version: <c>{cli version}-{12 hex}</c>, the hex being the start of a SHA-256 over every build input.
/// The CLI version up front tells a reader what is inside; the hash changes when anything else does (the
/// Dockerfile, the row, Node, the agent, the base), so a pool keyed by version never mixes two different builds.
/// The CLI's own files are not hashed: the pinned version fixes them (npm packages are immutable).
/// </summary>
public static class RuntimeImageVersion
{
    /// <summary>
    /// The layout of the build context (<see cref="RuntimeImageContext"/>), hashed with the inputs: bump it when the
    /// staging changes what lands in the image, so images staged the old way are rebuilt.
    /// </summary>
    public const int ContextLayout = 2;

    public static string Compute(RuntimeImageInputs inputs)
    {
        var canonical = new StringBuilder()
            .Append("polydev-runtime-image/").Append(ContextLayout).Append('\n')
            .Append("cli=").Append(inputs.Cli.Row).Append('\n')
            .Append("node=").Append(inputs.NodeVersion ?? "none").Append('\n')
            .Append("dockerfile=").Append(inputs.DockerfileSha256.ToLowerInvariant()).Append('\n')
            .Append("agent=").Append(inputs.AgentSha256.ToLowerInvariant()).Append('\n')
            .Append("base=").Append(inputs.Base).Append('\n')
            .ToString();
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

        // A Docker tag allows [A-Za-z0-9_.-]; semver's '+' is the only other character a pinned version may hold.
        return $"{inputs.Cli.Version.Replace('+', '_')}-{hash[..12]}";
    }

    public static async Task<string> Sha256OfFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }
}
