using System.Net;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// What every listener and connection of one <see cref="EgressProxy"/> shares: the checked
/// settings, the clock, metrics and logs, the token check, the dialers, and the accounting of
/// open connections. Built once when the proxy is.
/// </summary>
internal sealed class ProxyContext
{
    private volatile bool _shuttingDown;

    public ProxyContext(EgressOptions options, IEgressAuthenticator authenticator, IDirectNetwork network, EgressMetrics metrics, TimeProvider clock, ILogger logger)
    {
        EgressOptionsValidation.Validate(options);
        Options = options;
        BindAddress = IPAddress.TryParse(options.BindAddress, out var bind)
            ? bind
            : throw new ArgumentException($"Egress:BindAddress '{options.BindAddress}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0 or the sandbox network's gateway).");
        Authenticator = authenticator;
        Metrics = metrics;
        Clock = clock;
        Logger = logger;
        Upstream = UpstreamProxy.Create(options.Upstream);
        HostOverrides = new HostOverrides(options.HostOverrides);
        if (HostOverrides.Count > 0)
        {
            // Traffic for these names goes somewhere other than their owners: the operator must see it at every start.
            ProxyLog.HostOverridesActive(logger, HostOverrides.Describe());
        }

        DirectDialer = new DirectDialer(options, new DestinationPolicy(options.AllowedDestinations, new HostAddresses(network, clock)), HostOverrides, network, metrics, clock);
        UpstreamDialer = new UpstreamDialer(options, metrics, clock, logger);
        Connections = new ConnectionTracker(options.MaxTunnelsPerUser, metrics);
        IdleTicks = ToTicks(options.IdleTimeout, clock);
        Gateways = [.. options.Gateways.Select(IPNetwork.Parse)];
    }

    /// <summary><see cref="EgressOptions.Gateways"/>, parsed.</summary>
    public IReadOnlyList<IPNetwork> Gateways { get; }

    /// <summary>Whether a connection from <paramref name="address"/> is a gateway's, which begins with a PROXY header.</summary>
    public bool IsGateway(IPAddress address) => Gateways.Count > 0 && Gateways.Any(g => g.Contains(address));

    public EgressOptions Options { get; }

    public IPAddress BindAddress { get; }

    public IEgressAuthenticator Authenticator { get; }

    public EgressMetrics Metrics { get; }

    public TimeProvider Clock { get; }

    public ILogger Logger { get; }

    /// <summary>The configured upstream; null in direct mode.</summary>
    public UpstreamProxy? Upstream { get; }

    /// <summary>Host names dialled at a stand-in address, directly even when an upstream is configured.</summary>
    public HostOverrides HostOverrides { get; }

    public DirectDialer DirectDialer { get; }

    public UpstreamDialer UpstreamDialer { get; }

    public ConnectionTracker Connections { get; }

    /// <summary><see cref="EgressOptions.IdleTimeout"/> in <see cref="Clock"/> timestamp ticks.</summary>
    public long IdleTicks { get; }

    public bool IsShuttingDown => _shuttingDown;

    /// <summary>From now on no port opens, no connection is accepted and none is kept alive.</summary>
    public void BeginShutdown() => _shuttingDown = true;

    /// <summary>A span in timestamp ticks; "never" (a quarter of long.MaxValue, safe to add to) for zero, infinite or huge spans.</summary>
    public static long ToTicks(TimeSpan span, TimeProvider clock) =>
        span <= TimeSpan.Zero || span == Timeout.InfiniteTimeSpan || span.TotalSeconds * clock.TimestampFrequency >= long.MaxValue / 4
            ? long.MaxValue / 4
            : (long)(span.TotalSeconds * clock.TimestampFrequency);
}
