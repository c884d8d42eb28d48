using System.Text.Json;
using System.Text.RegularExpressions;

namespace Polydev.Testing.Monitoring;

/// <summary>
/// Does what Grafana does when it opens a dashboard over a time range: resolves each template variable with its query,
/// substitutes it and the interval variables into every panel's queries, and asks Prometheus for each as a range query.
/// A query that errors, or whose every series is empty or NaN over the range, is a panel a user would see empty.
/// </summary>
public static partial class DashboardDataCheck
{
    /// <param name="dataSourceUid">The uid the provisioned data source has: a panel naming another one would show nothing.</param>
    /// <param name="needsAbsentSource">Queries whose series come from something this run cannot have (Nomad's own
    /// telemetry without a Nomad); they are returned, not run.</param>
    /// <param name="plot">When given, gets every query's result, to draw the dashboard as it would look.</param>
    /// <returns>Each empty or failing query, described; and each query not run.</returns>
    public static async Task<(IReadOnlyList<string> Problems, IReadOnlyList<string> NotRun)> RunAsync(
        PrometheusServer prometheus, GrafanaDashboard dashboard, string dataSourceUid, DateTimeOffset from, DateTimeOffset to,
        Func<string, bool>? needsAbsentSource = null, DashboardPlot? plot = null)
    {
        var range = to - from;
        var interval = GrafanaTemplating.Interval(range, prometheus.ScrapeInterval);
        var rateInterval = GrafanaTemplating.RateInterval(interval, prometheus.ScrapeInterval);
        var problems = new List<string>();
        var notRun = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in dashboard.Variables)
        {
            var (selector, label) = ParseLabelValues(variable.Query);
            var found = await prometheus.LabelValuesAsync(label, selector is null ? null : GrafanaTemplating.Substitute(selector, values, interval, rateInterval, range));
            if (found.Count == 0)
            {
                problems.Add($"{dashboard.Title}: variable ${variable.Name} ({variable.Query}) has no value");
                values[variable.Name] = "no-value";
                continue;
            }

            // Grafana's first value (sorted); a variable offering "All" gets its all value, as a saved "All" would.
            values[variable.Name] = variable.AllValue ?? found.Order(StringComparer.Ordinal).First();
        }

        foreach (var panel in dashboard.Panels)
        {
            if (panel.Targets.Count == 0)
            {
                problems.Add($"{dashboard.Title} / {panel.Title}: no query");
            }

            foreach (var target in panel.Targets)
            {
                var name = $"{dashboard.Title} / {panel.Title} [{target.RefId}]";
                if (target.DataSourceUid != dataSourceUid)
                {
                    problems.Add($"{name}: data source {target.DataSourceUid ?? "(none)"}, not the provisioned {dataSourceUid}");
                    continue;
                }

                if (needsAbsentSource?.Invoke(target.Expression) == true)
                {
                    notRun.Add(name);
                    continue;
                }

                var query = GrafanaTemplating.Substitute(target.Expression, values, interval, rateInterval, range);
                var (result, error) = await prometheus.QueryRangeAsync(query, from, to, interval);
                if (error is not null)
                {
                    problems.Add($"{name}: {error} in {query}");
                }
                else if (!HasData(result!.Value))
                {
                    problems.Add($"{name}: no data from {query}");
                }

                if (result is { } matrix)
                {
                    plot?.Add(panel.Title, target.RefId, matrix);
                }
            }
        }

        return (problems, notRun);
    }

    /// <summary>Some series with a number in it: an empty matrix, or one of NaN only, draws nothing.</summary>
    private static bool HasData(JsonElement matrix) =>
        matrix.EnumerateArray().Any(series => series.GetProperty("values").EnumerateArray().Any(point => point[1].GetString() is not ("NaN" or "+Inf" or "-Inf")));

    private static (string? Selector, string Label) ParseLabelValues(string query)
    {
        var match = LabelValues().Match(query);
        if (!match.Success)
        {
            throw new InvalidOperationException($"Variable query {query} is not label_values(…): the check does not know how Grafana runs it.");
        }

        return (match.Groups["selector"].Success ? match.Groups["selector"].Value.Trim() : null, match.Groups["label"].Value);
    }

    [GeneratedRegex(@"^\s*label_values\(\s*(?:(?<selector>.+),\s*)?(?<label>\w+)\s*\)\s*$")]
    private static partial Regex LabelValues();
}
