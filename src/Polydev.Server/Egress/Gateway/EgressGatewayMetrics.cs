using Prometheus;

namespace Polydev.Server.Egress.Gateway;

/// <summary>The egress gateway's series (<c>polydev_egress_gateway_*</c>); none carries an address, a port or a user.</summary>
public sealed class EgressGatewayMetrics
{
    public EgressGatewayMetrics(CollectorRegistry registry)
    {
        Connections = registry.Counter(
            "polydev_egress_gateway_connections_total",
            "Sandbox connections the gateway took, by outcome: relayed, upstream_unreachable (the server's proxy did not answer), not_redirected (reached the relay port directly).",
            "outcome");
        Bytes = registry.Counter("polydev_egress_gateway_bytes_total", "Bytes relayed, by direction: to_server (from sandboxes), to_sandbox.", "direction");
        Active = registry.Gauge("polydev_egress_gateway_active_connections", "Connections being relayed now.");

        // Every series at 0 from the start: a gateway's first connection is then a rise a rate sees, not the series'
        // first sample (which a rate over a short window cannot use), and an idle gateway reads 0 rather than nothing.
        foreach (var outcome in (string[])[Outcomes.Relayed, Outcomes.UpstreamUnreachable, Outcomes.NotRedirected])
        {
            Connections.WithLabels(outcome);
        }

        Bytes.WithLabels(Directions.ToServer);
        Bytes.WithLabels(Directions.ToSandbox);
    }

    public Counter Connections { get; }

    public Counter Bytes { get; }

    public Gauge Active { get; }

    public static class Outcomes
    {
        public const string Relayed = "relayed";
        public const string UpstreamUnreachable = "upstream_unreachable";
        public const string NotRedirected = "not_redirected";
    }

    public static class Directions
    {
        public const string ToServer = "to_server";
        public const string ToSandbox = "to_sandbox";
    }
}
