using System.Text.RegularExpressions;
using Polydev.Testing;
using Polydev.Testing.Monitoring;

namespace Polydev.Operations.Tests.Monitoring;

/// <summary>deploy/monitoring/prometheus.yml and its alert rules, loaded by Debian's promtool.</summary>
public sealed partial class PrometheusFilesTests
{
    [Fact]
    public async Task Promtool_check_config_accepts_the_config_and_every_rule_file_it_loads()
    {
        var check = await ChildProcess.RunAsync(MonitoringFiles.Tool("promtool"), "check", "config", MonitoringFiles.PrometheusConfig);
        Assert.True(check.ExitCode == 0, check.Output + check.Errors);
        Assert.Contains($"SUCCESS: {MonitoringFiles.RuleFiles.Count} rule files found", check.Output + check.Errors);
    }

    [Fact]
    public async Task Promtool_test_rules_passes_every_rule_test_and_every_alert_has_one()
    {
        foreach (var tests in MonitoringFiles.RuleTests)
        {
            var run = await ChildProcess.RunAsync(MonitoringFiles.Tool("promtool"), "test", "rules", tests);
            Assert.True(run.ExitCode == 0, $"{Path.GetFileName(tests)}:\n{run.Output}{run.Errors}");
        }

        // An alert fires in some test and is checked absent at some time: every alert name appears in a test file.
        var tested = MonitoringFiles.RuleTests.SelectMany(t => AlertName().Matches(File.ReadAllText(t)).Select(m => m.Groups["name"].Value)).ToHashSet();
        var alerts = MonitoringFiles.RuleFiles.SelectMany(r => Alert().Matches(File.ReadAllText(r)).Select(m => m.Groups["name"].Value)).ToList();
        Assert.True(alerts.Count >= 15, string.Join(", ", alerts));
        Assert.DoesNotContain(alerts, a => !tested.Contains(a));
    }

    [Fact]
    public async Task A_broken_rule_fails_the_config_check_and_a_wrong_expectation_fails_the_rule_test()
    {
        var copy = CopyOfMonitoringFiles();
        var rules = Path.Combine(copy, "rules", "polydev.rules.yml");
        await File.WriteAllTextAsync(rules, (await File.ReadAllTextAsync(rules)).Replace("up{job=\"polydev\"} == 0", "up{job=\"polydev\" == 0", StringComparison.Ordinal));
        var check = await ChildProcess.RunAsync(MonitoringFiles.Tool("promtool"), "check", "config", Path.Combine(copy, "prometheus.yml"));
        Assert.NotEqual(0, check.ExitCode);
        Assert.Contains("polydev.rules.yml", check.Output + check.Errors);

        copy = CopyOfMonitoringFiles();
        var tests = Path.Combine(copy, "tests", "host.test.yml");
        await File.WriteAllTextAsync(tests, (await File.ReadAllTextAsync(tests)).Replace("has 6.25% of its memory available", "has 7% of its memory available", StringComparison.Ordinal));
        var run = await ChildProcess.RunAsync(MonitoringFiles.Tool("promtool"), "test", "rules", tests);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("HostMemoryPressure", run.Output + run.Errors);
    }

    private static string CopyOfMonitoringFiles()
    {
        var copy = Directory.CreateTempSubdirectory("polydev-monitoring-").FullName;
        foreach (var file in Directory.GetFiles(MonitoringFiles.Directory, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(MonitoringFiles.Directory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return copy;
    }

    [GeneratedRegex(@"^\s*- alert: (?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex Alert();

    [GeneratedRegex(@"^\s*alertname: (?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex AlertName();
}
