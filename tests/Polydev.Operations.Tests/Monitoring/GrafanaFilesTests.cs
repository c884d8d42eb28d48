using System.Text.RegularExpressions;
using Polydev.Testing.Monitoring;

namespace Polydev.Operations.Tests.Monitoring;

/// <summary>
/// The Grafana files, as far as they can be checked without Grafana (which Debian does not ship): the provisioning
/// names the data source every panel uses and the folder the dashboards are in. That every panel shows data is
/// LiveMonitoring's (tests/Polydev.EndToEnd.Tests/Monitoring), against a live server.
/// </summary>
public sealed partial class GrafanaFilesTests
{
    [Fact]
    public void Every_panel_query_uses_the_provisioned_data_source_and_only_variables_its_dashboard_defines()
    {
        var provisioned = File.ReadAllText(Path.Combine(MonitoringFiles.Directory, "grafana", "provisioning", "datasources", "polydev.yml"));
        var uid = DataSourceUid().Match(provisioned).Groups["uid"].Value;
        Assert.Equal("polydev-prometheus", uid);
        var dashboards = MonitoringFiles.Dashboards.Select(GrafanaDashboard.Load).ToList();
        Assert.Equal(["polydev-host", "polydev-nomad", "polydev-overview"], dashboards.Select(d => d.Uid).Order(StringComparer.Ordinal));
        foreach (var dashboard in dashboards)
        {
            var values = dashboard.Variables.ToDictionary(v => v.Name, _ => "x", StringComparer.Ordinal);
            Assert.NotEmpty(dashboard.Panels);
            foreach (var panel in dashboard.Panels)
            {
                Assert.True(panel.Targets.Count > 0, $"{dashboard.Title} / {panel.Title} has no query");
                Assert.All(panel.Targets, t => Assert.Equal(uid, t.DataSourceUid));
                // Throws on a variable the dashboard does not define.
                Assert.All(panel.Targets, t => GrafanaTemplating.Substitute(t.Expression, values, TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(1), TimeSpan.FromHours(6)));
            }
        }
    }

    [Fact]
    public void The_dashboard_provider_loads_the_folder_the_docs_install_the_dashboards_into()
    {
        var provider = File.ReadAllText(Path.Combine(MonitoringFiles.Directory, "grafana", "provisioning", "dashboards", "polydev.yml"));
        var path = ProviderPath().Match(provider).Groups["path"].Value;
        Assert.Equal("/var/lib/grafana/dashboards/polydev", path);
        var docs = File.ReadAllText(Path.Combine(MonitoringFiles.Directory, "..", "..", "docs", "operations.md"));
        Assert.Contains(path, docs, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\s*uid:\s*(?<uid>\S+)", RegexOptions.Multiline)]
    private static partial Regex DataSourceUid();

    [GeneratedRegex(@"^\s*path:\s*(?<path>\S+)", RegexOptions.Multiline)]
    private static partial Regex ProviderPath();
}
