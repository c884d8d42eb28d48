using Polydev.Testing;
using Polydev.Testing.Monitoring;

namespace Polydev.Operations.Tests.Monitoring;

/// <summary>deploy/monitoring/alertmanager.yml, loaded by Debian's amtool.</summary>
public sealed class AlertmanagerFilesTests
{
    [Fact]
    public async Task Amtool_check_config_accepts_it()
    {
        var check = await ChildProcess.RunAsync(MonitoringFiles.Tool("amtool"), "check-config", MonitoringFiles.AlertmanagerConfig);
        Assert.True(check.ExitCode == 0, check.Output + check.Errors);
        Assert.Contains("SUCCESS", check.Output + check.Errors);
    }

    [Theory]
    [InlineData("critical", "operator-pager,operator-mail")]
    [InlineData("warning", "operator-mail")]
    public async Task Critical_alerts_page_and_mail_and_warnings_mail(string severity, string receivers)
    {
        var route = await ChildProcess.RunAsync(
            MonitoringFiles.Tool("amtool"), "config", "routes", "test", "--config.file=" + MonitoringFiles.AlertmanagerConfig, "alertname=PolydevServerDown", "severity=" + severity);
        Assert.True(route.ExitCode == 0, route.Output + route.Errors);
        Assert.Equal(receivers, route.Output.Trim());
    }

    [Fact]
    public async Task A_broken_file_fails_the_check()
    {
        var broken = Path.Combine(Directory.CreateTempSubdirectory("polydev-alertmanager-").FullName, "alertmanager.yml");
        await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(MonitoringFiles.AlertmanagerConfig)).Replace("receiver: operator-pager", "receiver: nobody", StringComparison.Ordinal));
        var check = await ChildProcess.RunAsync(MonitoringFiles.Tool("amtool"), "check-config", broken);
        Assert.NotEqual(0, check.ExitCode);
        Assert.Contains("nobody", check.Output + check.Errors);
    }
}
