using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Polydev.Server.Sandboxes.Images;

/// <summary>Everything the login image is built from, as its version sees it.</summary>
/// <param name="Clis">Every provider's clis.tsv row: the login image carries all the CLIs.</param>
/// <param name="NodeVersion">The Node.js version copied in (codex and gemini are Node scripts).</param>
/// <param name="Packages">The apt packages images/login/Dockerfile installs (<see cref="AptPackages"/>).</param>
/// <param name="DockerfileSha256">Hex SHA-256 of images/login/Dockerfile.</param>
/// <param name="AgentSha256">Hex SHA-256 of the polydev-agent binary.</param>
/// <param name="Base">The base image: its reference and, when the daemon has it, its image id.</param>
public sealed record LoginImageInputs(
    IReadOnlyList<CliPin> Clis, string NodeVersion, IReadOnlyList<string> Packages, string DockerfileSha256, string AgentSha256, string Base);

/// <summary>
/// The login image's version: <c>{base tag}-{12 hex}</c>, e.g. <c>bookworm-1a2b3c4d5e6f</c>. The base's tag up front
/// says which Debian release the browser and GStreamer come from (there is no single CLI version to show); the hash,
/// over a canonical text of every input, changes when anything else does.
/// </summary>
/// <remarks>
/// The apt packages are named, not their versions: those are whatever the mirror serves when the image is built, so
/// the same inputs built a month apart may hold a newer Chromium. Taking newer packages is a rebuild of the same
/// version (docs/images.md, "Login image").
/// </remarks>
public static partial class LoginImageVersion
{
    /// <summary>The layout of the login build context (<c>LoginImageContext</c>): bump it when the staging changes what lands in the image.</summary>
    public const int ContextLayout = 1;

    public static string Compute(LoginImageInputs inputs)
    {
        var canonical = new StringBuilder()
            .Append("polydev-login-image/").Append(ContextLayout).Append('\n');
        foreach (var cli in inputs.Clis.OrderBy(c => c.Provider, StringComparer.Ordinal))
        {
            canonical.Append("cli=").Append(cli.Row).Append('\n');
        }

        canonical
            .Append("node=").Append(inputs.NodeVersion).Append('\n')
            .Append("packages=").AppendJoin(' ', inputs.Packages.Order(StringComparer.Ordinal)).Append('\n')
            .Append("dockerfile=").Append(inputs.DockerfileSha256.ToLowerInvariant()).Append('\n')
            .Append("agent=").Append(inputs.AgentSha256.ToLowerInvariant()).Append('\n')
            .Append("base=").Append(inputs.Base).Append('\n');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
        return $"{BaseTag(inputs.Base)}-{hash[..12]}";
    }

    /// <summary>The tag of a base reference (<c>polydev/debian-base:bookworm@sha256:…</c> → <c>bookworm</c>), tag-safe; <c>latest</c> when it has none.</summary>
    public static string BaseTag(string baseReference)
    {
        var reference = baseReference.Split('@')[0];
        var colon = reference.LastIndexOf(':');
        var tag = colon > reference.LastIndexOf('/') ? reference[(colon + 1)..] : RuntimeImages.LatestTag;
        tag = NotTagSafe().Replace(tag, "_");
        return tag.Length is > 0 and <= 40 ? tag : tag.Length == 0 ? RuntimeImages.LatestTag : tag[..40];
    }

    [GeneratedRegex("[^A-Za-z0-9_.-]")]
    private static partial Regex NotTagSafe();
}
