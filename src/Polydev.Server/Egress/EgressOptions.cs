namespace Polydev.Server.Egress;

/// <summary>
/// Settings under <c>Egress</c> (environment: <c>POLYDEV_EGRESS__…</c>): the per-user forward
/// proxy of ARCHITECTURE.md, "Egress".
/// </summary>
public sealed class EgressOptions
{
    public const string Section = "Egress";

    /// <summary>Where the per-user ports listen. Later: the sandbox network's gateway address.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>First port handed out (Decodo's sticky ports start at 10001 too).</summary>
    public int FirstPort { get; set; } = 10001;

    /// <summary>Last port handed out, inclusive.</summary>
    public int LastPort { get; set; } = 19999;

    /// <summary>The upstream proxy; without a URL, connections go direct.</summary>
    public EgressUpstreamOptions Upstream { get; set; } = new();

    /// <summary>
    /// CIDR blocks a direct connection may reach even though they are loopback, link-local or
    /// private (refused by default so a sandbox cannot reach the host, the cloud metadata service
    /// or the operator's network). Example: <c>["127.0.0.1/32"]</c> for tests.
    /// </summary>
    public List<string> AllowedDestinations { get; set; } = [];

    /// <summary>
    /// Host names (exact, case-insensitive) dialled at another address instead of being resolved: <c>address</c> keeps
    /// the requested port, <c>address:port</c> (IPv4, or <c>[IPv6]:port</c>) replaces it. For local test doubles of
    /// real services (providers' sign-in servers); such hosts bypass the upstream, and their address still meets the
    /// destination policy. Empty by default; refused in Production unless <see cref="AllowHostOverrides"/>.
    /// </summary>
    public Dictionary<string, string> HostOverrides { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// CIDR blocks of cluster nodes' egress gateways (<c>polydev egress gateway</c>, docs/nomad.md): a connection from
    /// one must begin with a PROXY protocol v2 header naming the sandbox it relays, and tokens are checked against that
    /// address. Connections from anywhere else never may (a header from them is refused as a bad request). Empty on a
    /// single host.
    /// </summary>
    public List<string> Gateways { get; set; } = [];

    /// <summary>Lets <see cref="HostOverrides"/> be used when the server runs as Production (what <c>polydev server</c> does).</summary>
    public bool AllowHostOverrides { get; set; }

    /// <summary>Time allowed to open the connection to the upstream or the destination.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A tunnel or keep-alive connection with no bytes either way for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Time a client has to send a complete request line and headers.</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest request line plus headers accepted.</summary>
    public int MaxRequestHeaderBytes { get; set; } = 32 * 1024;

    /// <summary>Concurrent connections (tunnels and keep-alive requests) one user may hold.</summary>
    public int MaxTunnelsPerUser { get; set; } = 512;

    /// <summary>Per-user bandwidth cap in bytes per second, both directions together; 0 means none.</summary>
    public long BandwidthBytesPerSecond { get; set; }

    /// <summary>On shutdown, how long open tunnels may go on before they are cut.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Lifetime of a proxy token when the caller does not ask for less.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A URL that answers with the caller's public address (Decodo: https://ip.decodo.com/json).</summary>
    public string? WhatIsMyIpUrl { get; set; }
}

/// <summary>
/// The upstream proxy Polydev chains to (Decodo). <c>{port}</c> in <see cref="Url"/> or
/// <see cref="Username"/> becomes the user's egress port; <c>{session}</c> becomes a stable
/// opaque per-user session id, for sticky-session usernames such as
/// <c>user-ACCOUNT-session-{session}</c>. The credentials are added by Polydev and never sent to
/// the client or into a sandbox.
/// </summary>
public sealed class EgressUpstreamOptions
{
    /// <summary>e.g. <c>http://gate.decodo.com:7000</c> or <c>http://gate.decodo.com:{port}</c>; empty for direct connections.</summary>
    public string? Url { get; set; }

    public string? Username { get; set; }

    /// <summary>Set it through <c>POLYDEV_EGRESS__UPSTREAM__PASSWORD</c>, not a file in the repository.</summary>
    public string? Password { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Url);
}
