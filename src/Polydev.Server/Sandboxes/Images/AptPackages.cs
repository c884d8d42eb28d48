using System.Text.RegularExpressions;

namespace Polydev.Server.Sandboxes.Images;

/// <summary>
/// The packages a Dockerfile installs with <c>apt-get install</c>, read from its text. The login image's version names
/// them in its canonical text (besides the Dockerfile's hash), so the list is what a reader of the version's inputs
/// sees, whatever the line breaks and order in the file.
/// </summary>
public static partial class AptPackages
{
    /// <summary>The sorted, distinct package names of every <c>apt-get install</c> (options skipped); throws when there is none.</summary>
    public static IReadOnlyList<string> Parse(string dockerfile, string source = "Dockerfile")
    {
        // Comments dropped (they may quote a command), then continuation lines joined, so a list spread over lines reads as one command.
        var lines = dockerfile.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Where(l => !l.TrimStart().StartsWith('#'));
        var text = string.Join('\n', lines).Replace("\\\n", " ", StringComparison.Ordinal);
        var packages = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match install in Install().Matches(text))
        {
            foreach (var word in install.Groups["arguments"].Value.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (!word.StartsWith('-'))
                {
                    packages.Add(word);
                }
            }
        }

        return packages.Count > 0 ? [.. packages] : throw new ImageBuildException($"{source}: no apt-get install line names a package");
    }

    // Up to the end of the shell command: ';', '&&', '||', '|' or the end of the (joined) line.
    [GeneratedRegex(@"apt-get\s+install(?<arguments>[^;&|\n]*)")]
    private static partial Regex Install();
}
