using System.Text;
using System.Text.RegularExpressions;
using Polydev.Server.Egress.Gateway;

namespace Polydev.Server.Tests.Egress.Gateway;

public sealed class EgressGatewayMetricsTests
{
    [Fact]
    public async Task Every_outcome_and_direction_has_its_series_at_zero_before_the_first_connection()
    {
        // The Nomad dashboard's gateway panels rate() these; a series born with the first connection gives a rate
        // over a short window nothing to work with, so a short run (and an idle gateway) would show no data.
        var registry = Prometheus.Metrics.NewCustomRegistry();
        _ = new EgressGatewayMetrics(registry);
        using var scrape = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(scrape);
        var text = Encoding.UTF8.GetString(scrape.ToArray());

        string[] outcomes = ["relayed", "upstream_unreachable", "not_redirected"];
        Assert.All(outcomes, outcome => Assert.Contains($"polydev_egress_gateway_connections_total{{outcome=\"{outcome}\"}} 0", text, StringComparison.Ordinal));
        Assert.Equal(outcomes.Length, Regex.Matches(text, "^polydev_egress_gateway_connections_total", RegexOptions.Multiline).Count);
        Assert.Contains("polydev_egress_gateway_bytes_total{direction=\"to_server\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("polydev_egress_gateway_bytes_total{direction=\"to_sandbox\"} 0", text, StringComparison.Ordinal);
    }
}
