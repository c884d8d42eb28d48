namespace Polydev.Testing.Monitoring;

/// <summary>deploy/monitoring/ of the repository this test build came from, and the Debian tools that load it.</summary>
public static class MonitoringFiles
{
    public static string Directory => Path.Combine(PinnedClis.RepositoryRoot(), "deploy", "monitoring");

    public static string PrometheusConfig => Path.Combine(Directory, "prometheus.yml");

    public static string AlertmanagerConfig => Path.Combine(Directory, "alertmanager.yml");

    public static IReadOnlyList<string> RuleFiles => System.IO.Directory.GetFiles(Path.Combine(Directory, "rules"), "*.rules.yml").Order(StringComparer.Ordinal).ToList();

    public static IReadOnlyList<string> RuleTests => System.IO.Directory.GetFiles(Path.Combine(Directory, "tests"), "*.test.yml").Order(StringComparer.Ordinal).ToList();

    public static IReadOnlyList<string> Dashboards => System.IO.Directory.GetFiles(Path.Combine(Directory, "grafana", "dashboards"), "*.json").Order(StringComparer.Ordinal).ToList();

    public static string Dashboard(string uid) => Path.Combine(Directory, "grafana", "dashboards", uid + ".json");

    /// <summary>
    /// A tool of Debian's prometheus, prometheus-alertmanager or prometheus-node-exporter; scripts/test installs them
    /// (scripts/lib/monitoring.sh). Without it the test fails, it does not skip.
    /// </summary>
    public static string Tool(string name)
    {
        foreach (var directory in new[] { "/usr/bin", "/usr/sbin", "/usr/local/bin" })
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new InvalidOperationException(
            $"{name} is not installed. Run the tests through scripts/test (ensure_monitoring_tools), or: apt-get install prometheus prometheus-alertmanager prometheus-node-exporter");
    }
}
