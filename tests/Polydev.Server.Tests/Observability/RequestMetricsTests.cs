using System.Text.RegularExpressions;
using Polydev.Contracts;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Observability;

/// <summary>
/// Issue 13, finding 8: the request metrics took the method as sent, so every invented method made new series. Now
/// the method is one HTTP defines or OTHER and the route is the endpoint's template, never the path.
/// </summary>
public sealed partial class RequestMetricsTests
{
    [Fact]
    public async Task Every_refusal_reason_has_its_series_at_zero_before_the_first_refusal()
    {
        // The overview dashboard's "Requests refused" panel and any rate() of it read 0, not nothing, on a quiet server.
        var registry = Prometheus.Metrics.NewCustomRegistry();
        _ = new Polydev.Server.Observability.PolydevMetrics(registry);
        using var scrape = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(scrape);
        var text = System.Text.Encoding.UTF8.GetString(scrape.ToArray());
        string[] reasons = ["invalid", "unauthenticated", "forbidden", "not_found", "method", "conflict", "too_large", "media_type", "throttled", "other"];
        Assert.All(reasons, reason => Assert.Contains($"polydev_requests_rejected_total{{reason=\"{reason}\"}} 0", text, StringComparison.Ordinal));
        Assert.Equal(reasons.Length, Regex.Matches(text, "^polydev_requests_rejected_total", RegexOptions.Multiline).Count);
    }

    [Fact]
    public async Task A_thousand_invented_methods_and_paths_add_no_series()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);

        // The first invented method and path make the OTHER and unmatched series; nothing after them may add one.
        // (The registry is the process's: other tests add series meanwhile, so only ours are compared.)
        await SendAsync(client, "INVENTED0", ApiRoutes.Chat(Guid.NewGuid()));
        await SendAsync(client, "INVENTED0", "/nothing-0");
        var before = await server.Client.GetStringAsync("/metrics");

        for (var i = 1; i <= 1000; i++)
        {
            await SendAsync(client, $"INVENTED{i}", i % 2 == 0 ? ApiRoutes.Chat(Guid.NewGuid()) : $"/nothing-{i}");
        }

        var after = await server.Client.GetStringAsync("/metrics");
        // Only OTHER series can come from these requests (other tests add their own series meanwhile, with known methods).
        var added = Series(after).Except(Series(before)).Where(s => s.Contains("method=\"OTHER\"", StringComparison.Ordinal)).ToList();
        Assert.True(added.Count == 0, $"{added.Count} new series, e.g. {string.Join(", ", added.Take(5))}");
        Assert.DoesNotContain("INVENTED", after, StringComparison.Ordinal);
        Assert.DoesNotContain("nothing-", after, StringComparison.Ordinal);

        // Counted all the same, under OTHER (a method no endpoint has is a 405 before any endpoint is chosen). Other tests
        // share the registry, so at least ours.
        const string Other = """http_requests_received_total{method="OTHER",endpoint="(unmatched)",code="405"}""";
        Assert.True(Value(after, Other) - Value(before, Other) >= 500);
        Assert.Contains("""http_requests_received_total{method="POST",endpoint="/api/accounts",code="201"}""", after, StringComparison.Ordinal);
    }

    private static double Value(string metrics, string series) =>
        double.Parse(metrics.Split('\n').Single(line => line.StartsWith(series + " ", StringComparison.Ordinal))[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private static async Task SendAsync(HttpClient client, string method, string path)
    {
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
    }

    /// <summary>Each series of /metrics: the metric name with its labels, without the value.</summary>
    private static HashSet<string> Series(string metrics) =>
        [.. SeriesLine().Matches(metrics).Select(m => m.Groups["series"].Value)];

    [GeneratedRegex(@"^(?<series>[a-z_]+(\{[^}]*\})?) ", RegexOptions.Multiline)]
    private static partial Regex SeriesLine();
}
