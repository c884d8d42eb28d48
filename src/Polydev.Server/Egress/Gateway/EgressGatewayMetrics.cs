using Prometheus;

namespace Polydev.Server.Egress.Gateway;

/// <summary>The egress gateway's series (<c>polydev_egress_gateway_*</c>); none carries an address, a port or a user.</summary>
public sealed class EgressGatewayMetrics(CollectorRegistry registry)
{
    public Counter Connections { get; } = registry.Counter(
        "polydev_egress_gateway_connections_total",
        "Sandbox connections the gateway took, by outcome: relayed, upstream_unreachable (the server's proxy did not answer), not_redirected (reached the relay port directly).",
        "outcome");

    public Counter Bytes { get; } = registry.Counter(
        "polydev_egress_gateway_bytes_total",
        "Bytes relayed, by direction: to_server (from sandboxes), to_sandbox.",
        "direction");

    public Gauge Active { get; } = registry.Gauge("polydev_egress_gateway_active_connections", "Connections being relayed now.");

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
