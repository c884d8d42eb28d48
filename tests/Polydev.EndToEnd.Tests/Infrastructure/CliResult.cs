namespace Polydev.EndToEnd.Tests.Infrastructure;

/// <summary>What one <c>polydev</c> run left behind.</summary>
public sealed record CliResult(IReadOnlyList<string> Arguments, int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The stderr lines, without empty ones.</summary>
    public IReadOnlyList<string> ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Fails the test, with everything the run printed, unless it exited 0.</summary>
    public CliResult Succeeded()
    {
        Assert.True(ExitCode == 0, $"polydev {string.Join(' ', Arguments)} exited {ExitCode}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        return this;
    }

    /// <summary>Asserts a failure reported as exactly one line <c>polydev &lt;verb&gt;: …</c> on stderr; returns that line.</summary>
    public string FailedWithOneLine(int exitCode = 1)
    {
        Assert.True(ExitCode == exitCode, $"polydev {string.Join(' ', Arguments)} exited {ExitCode}, expected {exitCode}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        var line = Assert.Single(ErrorLines);
        Assert.StartsWith("polydev ", line, StringComparison.Ordinal);
        return line;
    }

    /// <summary>The value of the <c>export POLYDEV_SESSION=…</c> line that login and unlock print.</summary>
    public string ExportedSession()
    {
        const string prefix = "export POLYDEV_SESSION=";
        var line = Assert.Single(Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith(prefix, line, StringComparison.Ordinal);
        return line[prefix.Length..];
    }

    public System.Text.Json.JsonElement Json()
    {
        using var document = System.Text.Json.JsonDocument.Parse(Stdout);
        return document.RootElement.Clone();
    }
}
