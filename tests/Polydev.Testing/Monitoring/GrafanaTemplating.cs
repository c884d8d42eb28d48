using System.Globalization;
using System.Text.RegularExpressions;

namespace Polydev.Testing.Monitoring;

/// <summary>
/// What Grafana does to a panel's query before it sends it: the interval variables, computed as Grafana computes them
/// for a time range and the data source's scrape interval, and the dashboard's template variables.
/// </summary>
public static partial class GrafanaTemplating
{
    /// <summary>Grafana's default for a panel of about a screen's width.</summary>
    private const int MaxDataPoints = 1000;

    /// <summary>
    /// <c>$__interval</c>: the range over the panel's data points, never under the data source's <c>timeInterval</c>
    /// (its scrape interval), in whole seconds.
    /// </summary>
    public static TimeSpan Interval(TimeSpan range, TimeSpan scrapeInterval) =>
        TimeSpan.FromSeconds(Math.Max(scrapeInterval.TotalSeconds, Math.Ceiling(range.TotalSeconds / MaxDataPoints)));

    /// <summary><c>$__rate_interval</c>: <c>max($__interval + scrape interval, 4 × scrape interval)</c>.</summary>
    public static TimeSpan RateInterval(TimeSpan interval, TimeSpan scrapeInterval) =>
        TimeSpan.FromSeconds(Math.Max(interval.TotalSeconds + scrapeInterval.TotalSeconds, 4 * scrapeInterval.TotalSeconds));

    /// <summary>Replaces the interval and range variables and each of <paramref name="values"/> (<c>$name</c>, <c>${name}</c>, <c>${name:format}</c>, <c>[[name]]</c>).</summary>
    public static string Substitute(string query, IReadOnlyDictionary<string, string> values, TimeSpan interval, TimeSpan rateInterval, TimeSpan range)
    {
        var builtIns = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["__rate_interval"] = Seconds(rateInterval),
            ["__interval"] = Seconds(interval),
            ["__interval_ms"] = ((long)interval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            ["__range"] = Seconds(range),
            ["__range_s"] = ((long)range.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        };
        return Variable().Replace(query, match =>
        {
            var name = match.Groups["braced"].Success ? match.Groups["braced"].Value
                : match.Groups["bracketed"].Success ? match.Groups["bracketed"].Value
                : match.Groups["plain"].Value;
            return builtIns.TryGetValue(name, out var builtIn) ? builtIn
                : values.TryGetValue(name, out var value) ? value
                : throw new InvalidOperationException($"The query uses ${name}, which is neither a variable of its dashboard nor one Grafana defines: {query}");
        });
    }

    private static string Seconds(TimeSpan span) => ((long)Math.Ceiling(span.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";

    [GeneratedRegex(@"\$\{(?<braced>\w+)(?::\w+)?\}|\[\[(?<bracketed>\w+)\]\]|\$(?<plain>\w+)")]
    private static partial Regex Variable();
}
