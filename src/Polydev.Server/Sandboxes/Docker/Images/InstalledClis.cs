using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>
/// The pinned CLIs as scripts/lib/clis.sh installed them: each provider's npm prefix and, for a CLI that is a Node
/// script, the Node binary. A missing one is a one-line <see cref="ImageBuildException"/> naming what installs it.
/// </summary>
public static class InstalledClis
{
    /// <summary>The provider's npm prefix under the CLIs directory, with its executable in node_modules/.bin.</summary>
    public static string Prefix(CliPin cli, string clisDirectory)
    {
        var prefix = Path.Combine(clisDirectory, cli.PrefixName);
        if (!File.Exists(Executable(cli, clisDirectory)))
        {
            throw new ImageBuildException($"{cli.Package}@{cli.Version} is not installed at {prefix} (run scripts/lib/clis.sh ensure_clis, as scripts/test and scripts/start do, or pass --clis DIR)");
        }

        return prefix;
    }

    public static string Executable(CliPin cli, string clisDirectory) =>
        Path.Combine(clisDirectory, cli.PrefixName, "node_modules", ".bin", cli.Executable);

    /// <summary>The installed Node.js binary of clis.tsv's node row; <paramref name="neededBy"/> names who needs it.</summary>
    public static string Node(CliPins pins, string clisDirectory, string clisFile, string neededBy)
    {
        var nodePin = pins.Node ?? throw new ImageBuildException($"{neededBy} is a Node.js script but {clisFile} has no node row");
        var node = Executable(nodePin, clisDirectory);
        if (!File.Exists(node))
        {
            throw new ImageBuildException($"Node.js {nodePin.Version} is not installed at {node} (run scripts/lib/clis.sh ensure_clis, or pass --clis DIR)");
        }

        return node;
    }
}
