using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// The per-user egress proxy (ARCHITECTURE.md, "Egress"): one listener per user port, each an
/// HTTP/1.1 forward proxy (CONNECT tunnels and absolute-URI requests) that accepts only that
/// user's egress tokens, and chains to the configured upstream with Polydev's credentials or,
/// without one, connects directly to public addresses only. Listeners come and go without a
/// restart; usage is counted per user; shutdown lets tunnels finish for a grace period.
/// </summary>
/// <remarks>
/// Where each job lives: <see cref="PortListener"/> (a port and its accept loop),
/// <see cref="ProxyConnection"/> and <see cref="ConnectionLoop"/> (one client connection),
/// <see cref="ConnectTunnel"/> and <see cref="TunnelRelay"/> (CONNECT),
/// <see cref="HttpForwarder"/> (absolute-URI requests), <see cref="DirectDialer"/> and
/// <see cref="UpstreamDialer"/> (connections out), <see cref="ConnectionTracker"/> and
/// <see cref="UsageLedger"/> (accounting).
/// </remarks>
public sealed class EgressProxy : IAsyncDisposable
{
    private readonly ProxyContext _context;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<Guid, PortListener> _listeners = [];
    private readonly UsageLedger _usage;
    private readonly Lock _shutdownGate = new();
    private readonly ITimer _sweeper;
    private volatile int[] _openPorts = [];
    private Task? _shutdown;
    private bool _disposed;

    public EgressProxy(IOptions<EgressOptions> options, IEgressAuthenticator authenticator, IDirectNetwork network, EgressMetrics metrics, TimeProvider clock, ILogger<EgressProxy> logger)
    {
        _context = new ProxyContext(options.Value, authenticator, network, metrics, clock, logger);
        _usage = new UsageLedger(options.Value.BandwidthBytesPerSecond);

        var shortest = Math.Min(options.Value.RequestHeadersTimeout.TotalMilliseconds, options.Value.IdleTimeout.TotalMilliseconds);
        var period = TimeSpan.FromMilliseconds(Math.Clamp(shortest / 4, 20, 1000));
        _sweeper = clock.CreateTimer(_ => _context.Connections.Sweep(clock.GetTimestamp()), null, period, period);
    }

    /// <summary>Authenticated connections open on all ports: CONNECT tunnels and keep-alive HTTP connections.</summary>
    public int ActiveTunnels => _context.Connections.ActiveTunnels;

    /// <summary>Ports listening now.</summary>
    public IReadOnlyCollection<int> OpenPorts => _openPorts;

    /// <summary>Client connections open, authenticated or not (tests: none may be left behind).</summary>
    internal int OpenConnections => _context.Connections.Count;

    /// <summary>Sockets the proxy holds besides its listeners: client connections and connections toward destinations.</summary>
    internal int OpenSockets => _context.Connections.OpenSockets;

    /// <summary>Starts listening on <see cref="EgressOptions.BindAddress"/>:<paramref name="port"/> for the user; does nothing when already so.</summary>
    /// <param name="port">The user's port; 0 picks a free one (tests), see <see cref="PortOf"/>.</param>
    /// <exception cref="InvalidOperationException">The port cannot be bound, or another user has it open.</exception>
    public async Task OpenAsync(Guid userId, int port, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_context.IsShuttingDown)
            {
                throw new InvalidOperationException("The egress proxy is shutting down; no port opens any more.");
            }

            if (_listeners.TryGetValue(userId, out var existing))
            {
                if (existing.Port == port || port == 0)
                {
                    return;
                }

                // The user moved to another port: the old one closes whether or not the new one opens.
                _listeners.Remove(userId);
                PublishPorts();
                await existing.CloseAsync(AbortReasons.PortClosed, cancellationToken);
            }

            if (port != 0 && _listeners.Values.Any(l => l.Port == port))
            {
                throw new InvalidOperationException($"Egress port {port} is already open for another user.");
            }

            _listeners[userId] = PortListener.Open(_context, _usage.For(userId), port);
            PublishPorts();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the user's listener and cuts their open connections; does nothing when none is open.</summary>
    public async Task CloseAsync(Guid userId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_listeners.Remove(userId, out var listener))
            {
                PublishPorts();
                await listener.CloseAsync(AbortReasons.PortClosed, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Bytes the user moved since the process started, and their open connections.</summary>
    public EgressUsage GetUsage(Guid userId) => _usage.Get(userId);

    /// <summary>
    /// Per user, bytes moved since the previous call (ActiveTunnels is the current count), for
    /// users with new bytes or open connections.
    /// </summary>
    public IReadOnlyDictionary<Guid, EgressUsage> TakeUsageDeltas() => _usage.TakeDeltas();

    /// <summary>Client connections open on the user's port, authenticated or not.</summary>
    internal int ConnectionsOf(Guid userId) => WithListener(userId, listener => listener?.Connections.Count ?? 0);

    /// <summary>The port a user's listener is bound to, or null.</summary>
    internal int? PortOf(Guid userId) => WithListener(userId, listener => listener?.Port);

    /// <summary>
    /// Stops accepting on every port and closes connections that are between requests, lets
    /// tunnels and requests in flight run for up to <see cref="EgressOptions.ShutdownGrace"/>
    /// (or until <paramref name="cancellationToken"/> fires), then cuts what is left.
    /// </summary>
    public Task ShutdownAsync(CancellationToken cancellationToken)
    {
        lock (_shutdownGate)
        {
            _shutdown ??= RunShutdownAsync(_context.Options.ShutdownGrace, cancellationToken);
            return _shutdown;
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_shutdownGate)
        {
            _shutdown ??= RunShutdownAsync(TimeSpan.Zero, CancellationToken.None);
        }

        await _shutdown;
        await _gate.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await _sweeper.DisposeAsync();
            _usage.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RunShutdownAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        _context.BeginShutdown();
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            foreach (var listener in _listeners.Values)
            {
                await listener.StopAcceptingAsync();
            }

            _listeners.Clear();
            PublishPorts();
        }
        finally
        {
            _gate.Release();
        }

        await _context.Connections.DrainAsync(grace, _context.Clock, _context.Logger, cancellationToken);
    }

    private T WithListener<T>(Guid userId, Func<PortListener?, T> read)
    {
        _gate.Wait();
        try
        {
            return read(_listeners.GetValueOrDefault(userId));
        }
        finally
        {
            _gate.Release();
        }
    }

    private void PublishPorts() => _openPorts = [.. _listeners.Values.Select(l => l.Port).Order()];
}
