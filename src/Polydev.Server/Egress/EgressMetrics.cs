using Prometheus;

namespace Polydev.Server.Egress;

/// <summary>
/// The egress proxy's Prometheus series (<c>polydev_egress_*</c>). None carries a user or a
/// port label: per-user byte counts are available through the API, not through metrics.
/// </summary>
public sealed class EgressMetrics
{
    public EgressMetrics(CollectorRegistry registry)
    {
        Connections = registry.Gauge("polydev_egress_connections", "Client connections open on egress ports, authenticated or not yet.");
        ActiveTunnels = registry.Gauge("polydev_egress_active_tunnels", "Authenticated egress connections open: CONNECT tunnels and keep-alive HTTP connections.");
        Listeners = registry.Gauge("polydev_egress_listeners", "Per-user egress ports listening.");
        Bytes = registry.Counter("polydev_egress_bytes_total", "Bytes relayed between clients and destinations, by direction (up: client to destination, down: destination to client).", "direction");
        ConnectDuration = registry.Histogram(
            "polydev_egress_connect_duration_seconds",
            "Time to a usable connection to the destination: name resolution and TCP connect (direct), TCP connect to a host's stand-in under Egress:HostOverrides (override), or TCP connect plus the upstream's CONNECT answer (upstream).",
            Histogram.ExponentialBuckets(0.0005, 2, 16),
            "route");
        Requests = registry.Counter("polydev_egress_requests_total", "Proxy requests received (CONNECT tunnels and absolute-URI HTTP requests), by kind.", "kind");
        Refusals = registry.Counter("polydev_egress_refusals_total", "Proxy requests and connections refused or cut, by reason.", "reason");

        BytesUp = Bytes.WithLabels("up");
        BytesDown = Bytes.WithLabels("down");
        ConnectDirect = ConnectDuration.WithLabels("direct");
        ConnectUpstream = ConnectDuration.WithLabels("upstream");
        ConnectOverride = ConnectDuration.WithLabels("override");
        ConnectRequests = Requests.WithLabels("connect");
        HttpRequests = Requests.WithLabels("http");
        foreach (var reason in RefusalReasons.All)
        {
            Refusals.WithLabels(reason);
        }
    }

    public Gauge Connections { get; }

    public Gauge ActiveTunnels { get; }

    public Gauge Listeners { get; }

    public Counter Bytes { get; }

    public Histogram ConnectDuration { get; }

    public Counter Requests { get; }

    public Counter Refusals { get; }

    internal Counter.Child BytesUp { get; }

    internal Counter.Child BytesDown { get; }

    internal Histogram.Child ConnectDirect { get; }

    internal Histogram.Child ConnectUpstream { get; }

    /// <summary>Direct connections to a host's stand-in (<see cref="EgressOptions.HostOverrides"/>): their count is how many were dialled.</summary>
    internal Histogram.Child ConnectOverride { get; }

    internal Counter.Child ConnectRequests { get; }

    internal Counter.Child HttpRequests { get; }

    /// <summary>The <c>reason</c> label values of <see cref="Refusals"/>.</summary>
    public static class RefusalReasons
    {
        /// <summary>407: no token, an unknown, expired or revoked one, or another user's.</summary>
        public const string Auth = "auth";

        /// <summary>403: a direct connection to a loopback, link-local, private or otherwise reserved address.</summary>
        public const string Blocked = "blocked";

        /// <summary>429: the user's concurrent-connection cap, or too many unauthenticated connections on a port.</summary>
        public const string Limit = "limit";

        /// <summary>502: the upstream proxy refused Polydev's credentials, was unreachable, timed out or refused the destination.</summary>
        public const string Upstream = "upstream";

        /// <summary>502: a direct destination could not be resolved, refused or did not answer in time.</summary>
        public const string Unreachable = "unreachable";

        /// <summary>400/431/501: malformed or oversized requests.</summary>
        public const string BadRequest = "bad_request";

        /// <summary>408 or a cut connection: request headers too slow, or a tunnel idle too long.</summary>
        public const string Timeout = "timeout";

        /// <summary>503: the token could not be checked (the authenticator failed).</summary>
        public const string Error = "error";

        internal static readonly string[] All = [Auth, Blocked, Limit, Upstream, Unreachable, BadRequest, Timeout, Error];
    }
}
