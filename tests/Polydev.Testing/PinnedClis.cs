namespace Polydev.Testing;

/// <summary>
/// The provider CLIs and Node pinned in images/runtime/clis.tsv, as scripts/lib/clis.sh installs them under
/// <c>$POLYDEV_CLIS_DIR</c> (else the repository's .polydev/clis), for the tests that run a real CLI on the host.
/// Missing means a failed test, never a skip.
/// </summary>
public static class PinnedClis
{
    /// <summary>The executable of one clis.tsv row (<c>anthropic</c>, <c>openai</c>, <c>google</c>, <c>node</c>).</summary>
    public static string Executable(string provider)
    {
        string root = RepositoryRoot();
        string[] pin = File.ReadLines(Path.Combine(root, "images", "runtime", "clis.tsv"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('\t'))
            .Single(fields => fields[0] == provider);
        string clis = Environment.GetEnvironmentVariable("POLYDEV_CLIS_DIR") is { Length: > 0 } dir ? dir : Path.Combine(root, ".polydev", "clis");
        string path = Path.Combine(clis, $"{provider}-{pin[2]}", "node_modules", ".bin", pin[3]);
        return File.Exists(path) ? path : throw new InvalidOperationException($"The pinned {provider} CLI is not installed at {path}; run the tests through scripts/test, which installs it.");
    }

    /// <summary>The folder of the pinned Node, to put first on a CLI's PATH (the host's Node may be older).</summary>
    public static string NodeDirectory => Path.GetDirectoryName(Executable("node"))!;

    /// <summary>The repository this test build came from (where images/runtime/clis.tsv is).</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "images", "runtime", "clis.tsv")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("No images/runtime/clis.tsv above " + AppContext.BaseDirectory);
    }
}
