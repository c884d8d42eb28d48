using Prometheus;

namespace Polydev.Client.Mcp;

/// <summary>
/// The MCP server's Prometheus series (docs/mcp.md, "Metrics and logs"), served on <c>/metrics</c> of the HTTP
/// listener, or of <c>--metrics</c> with stdio. Labels are tool, provider and outcome names only: never a prompt, a
/// chat or a user.
/// </summary>
internal sealed class McpMetrics(CollectorRegistry registry)
{
    private readonly Counter _calls = Metrics.WithCustomRegistry(registry).CreateCounter(
        "polydev_mcp_tool_calls_total", "MCP tool calls by tool and outcome (ok, error, locked, cancelled).", "tool", "outcome");

    private readonly Histogram _duration = Metrics.WithCustomRegistry(registry).CreateHistogram(
        "polydev_mcp_tool_duration_seconds", "How long MCP tool calls took.",
        new HistogramConfiguration { LabelNames = ["tool"], Buckets = Histogram.ExponentialBuckets(0.01, 2, 16) });

    private readonly Counter _perspectives = Metrics.WithCustomRegistry(registry).CreateCounter(
        "polydev_mcp_perspectives_total", "Answers of one provider to an MCP prompt, by provider and outcome (ok, or the failure kind).", "provider", "outcome");

    public void Call(string tool, string outcome, TimeSpan elapsed)
    {
        _calls.WithLabels(tool, outcome).Inc();
        _duration.WithLabels(tool).Observe(elapsed.TotalSeconds);
    }

    public void Perspective(string provider, string outcome) => _perspectives.WithLabels(provider, outcome).Inc();
}
