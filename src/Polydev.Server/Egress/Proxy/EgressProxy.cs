using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
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
public sealed class EgressProxy : IAsyncDisposable
{
    /// <summary>Unauthenticated connections one port holds at once; more are closed at accept.</summary>
    internal const int MaxPendingPerPort = 4096;

    private const int ListenBacklog = 1024;

    private readonly IPAddress _bindAddress;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<Guid, PortListener> _listeners = [];
    private readonly ConcurrentDictionary<Guid, UserEgress> _users = new();
    private readonly ConcurrentDictionary<ProxyConnection, byte> _connections = new();
    private readonly Lock _usageGate = new();
    private readonly ITimer _sweeper;
    private volatile int[] _openPorts = [];
    private volatile bool _shuttingDown;
    private int _activeTunnels;
    private int _openSockets;
    private Task? _shutdown;
    private bool _disposed;

    public EgressProxy(IOptions<EgressOptions> options, IEgressAuthenticator authenticator, EgressMetrics metrics, TimeProvider clock, ILogger<EgressProxy> logger)
    {
        Options = options.Value;
        Validate(Options);
        _bindAddress = IPAddress.TryParse(Options.BindAddress, out var bind)
            ? bind
            : throw new ArgumentException($"Egress:BindAddress '{Options.BindAddress}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0 or the sandbox network's gateway).");
        Authenticator = authenticator;
        Metrics = metrics;
        Clock = clock;
        Logger = logger;
        Upstream = UpstreamProxy.Create(Options.Upstream);
        DirectDialer = new DirectDialer(Options, new DestinationPolicy(Options.AllowedDestinations), metrics, clock);
        UpstreamDialer = new UpstreamDialer(Options, metrics, clock, logger);
        IdleTicks = ToTicks(Options.IdleTimeout, clock);

        var shortest = Math.Min(Options.RequestHeadersTimeout.TotalMilliseconds, Options.IdleTimeout.TotalMilliseconds);
        var period = TimeSpan.FromMilliseconds(Math.Clamp(shortest / 4, 20, 1000));
        _sweeper = clock.CreateTimer(_ => Sweep(), null, period, period);
    }

    /// <summary>Authenticated connections open on all ports: CONNECT tunnels and keep-alive HTTP connections.</summary>
    public int ActiveTunnels => Volatile.Read(ref _activeTunnels);

    /// <summary>Ports listening now.</summary>
    public IReadOnlyCollection<int> OpenPorts => _openPorts;

    internal EgressOptions Options { get; }

    internal IEgressAuthenticator Authenticator { get; }

    internal EgressMetrics Metrics { get; }

    internal TimeProvider Clock { get; }

    internal ILogger Logger { get; }

    internal DirectDialer DirectDialer { get; }

    internal UpstreamDialer UpstreamDialer { get; }

    internal UpstreamProxy? Upstream { get; }

    internal long IdleTicks { get; }

    /// <summary>
    /// Largest read in a tunnel: a pooled buffer of up to this size per direction while data
    /// flows, none while it does not. 128 KiB measured as cheap in CPU as 256 KiB (bench/, within
    /// noise) at half the memory per busy tunnel; 64 KiB cost about 15 % more CPU per GB.
    /// </summary>
    internal int TunnelBufferSize { get; set; } = 128 * 1024;

    internal bool IsShuttingDown => _shuttingDown;

    /// <summary>Client connections open, authenticated or not (tests: none may be left behind).</summary>
    internal int OpenConnections => _connections.Count;

    /// <summary>Sockets the proxy holds besides its listeners: client connections and connections toward destinations.</summary>
    internal int OpenSockets => Volatile.Read(ref _openSockets);

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
            if (_shuttingDown)
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
                await StopListenerAsync(existing, AbortReasons.PortClosed, cancellationToken);
            }

            if (port != 0 && _listeners.Values.Any(l => l.Port == port))
            {
                throw new InvalidOperationException($"Egress port {port} is already open for another user.");
            }

            var user = _users.GetOrAdd(userId, id => new UserEgress(id, Options.BandwidthBytesPerSecond));
            var socket = new Socket(_bindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (_bindAddress.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }

                socket.Bind(new IPEndPoint(_bindAddress, port));
                socket.Listen(ListenBacklog);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                var why = e.SocketErrorCode switch
                {
                    SocketError.AddressAlreadyInUse => "it is in use by another process",
                    SocketError.AddressNotAvailable => $"{_bindAddress} is not an address of this host",
                    SocketError.AccessDenied => "permission denied",
                    _ => e.SocketErrorCode.ToString(),
                };
                throw new InvalidOperationException($"Egress port {port} cannot be opened on {_bindAddress}: {why}.", e);
            }

            var actual = ((IPEndPoint)socket.LocalEndPoint!).Port;
            var listener = new PortListener(user, actual, socket, Upstream?.For(userId, actual));
            _listeners[userId] = listener;
            PublishPorts();
            Metrics.Listeners.Inc();
            listener.AcceptLoop = Task.Run(() => AcceptLoopAsync(listener), CancellationToken.None);
            ProxyLog.PortOpened(Logger, actual, _bindAddress.ToString());
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
                await StopListenerAsync(listener, AbortReasons.PortClosed, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Bytes the user moved since the process started, and their open connections.</summary>
    public EgressUsage GetUsage(Guid userId) =>
        _users.TryGetValue(userId, out var user) ? user.Usage : default;

    /// <summary>
    /// Per user, bytes moved since the previous call (ActiveTunnels is the current count), for
    /// users with new bytes or open connections.
    /// </summary>
    public IReadOnlyDictionary<Guid, EgressUsage> TakeUsageDeltas()
    {
        var deltas = new Dictionary<Guid, EgressUsage>();
        lock (_usageGate)
        {
            foreach (var user in _users.Values)
            {
                var up = Volatile.Read(ref user.BytesUp);
                var down = Volatile.Read(ref user.BytesDown);
                var active = Volatile.Read(ref user.ActiveTunnels);
                if (up != user.TakenUp || down != user.TakenDown || active != 0)
                {
                    deltas[user.UserId] = new EgressUsage(up - user.TakenUp, down - user.TakenDown, active);
                    user.TakenUp = up;
                    user.TakenDown = down;
                }
            }
        }

        return deltas;
    }

    /// <summary>Client connections open on the user's port, authenticated or not.</summary>
    internal int ConnectionsOf(Guid userId)
    {
        _gate.Wait();
        try
        {
            return _listeners.TryGetValue(userId, out var listener) ? listener.Connections.Count : 0;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The port a user's listener is bound to, or null.</summary>
    internal int? PortOf(Guid userId)
    {
        _gate.Wait();
        try
        {
            return _listeners.TryGetValue(userId, out var listener) ? listener.Port : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Stops accepting on every port and closes connections that are between requests, lets
    /// tunnels and requests in flight run for up to <see cref="EgressOptions.ShutdownGrace"/>
    /// (or until <paramref name="cancellationToken"/> fires), then cuts what is left.
    /// </summary>
    public Task ShutdownAsync(CancellationToken cancellationToken)
    {
        lock (_usageGate)
        {
            _shutdown ??= RunShutdownAsync(Options.ShutdownGrace, cancellationToken);
            return _shutdown;
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_usageGate)
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
            foreach (var user in _users.Values)
            {
                user.Dispose();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    internal static long ToTicks(TimeSpan span, TimeProvider clock) =>
        span <= TimeSpan.Zero || span == Timeout.InfiniteTimeSpan || span.TotalSeconds * clock.TimestampFrequency >= long.MaxValue / 4
            ? long.MaxValue / 4
            : (long)(span.TotalSeconds * clock.TimestampFrequency);

    /// <summary>Counts a connection toward its user's cap the first time it authenticates.</summary>
    internal bool TryAdmit(ProxyConnection connection)
    {
        var user = connection.Port.User;
        if (Interlocked.Increment(ref user.ActiveTunnels) > Options.MaxTunnelsPerUser)
        {
            Interlocked.Decrement(ref user.ActiveTunnels);
            return false;
        }

        Interlocked.Decrement(ref connection.Port.Pending);
        Interlocked.Increment(ref _activeTunnels);
        Metrics.ActiveTunnels.Inc();
        return true;
    }

    internal void SocketOpened() => Interlocked.Increment(ref _openSockets);

    internal void SocketClosed() => Interlocked.Decrement(ref _openSockets);

    internal void ConnectionClosed(ProxyConnection connection, bool admitted)
    {
        if (admitted)
        {
            Interlocked.Decrement(ref connection.Port.User.ActiveTunnels);
            Interlocked.Decrement(ref _activeTunnels);
            Metrics.ActiveTunnels.Dec();
        }
        else
        {
            Interlocked.Decrement(ref connection.Port.Pending);
        }

        connection.Port.Connections.TryRemove(connection, out _);
        _connections.TryRemove(connection, out _);
        Metrics.Connections.Dec();
        SocketClosed();
    }

    private async Task AcceptLoopAsync(PortListener listener)
    {
        var stopping = listener.Stopping.Token;
        var warned = false;
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.Socket.AcceptAsync(stopping);
            }
            catch (Exception e) when (stopping.IsCancellationRequested || e is ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors and the like: keep the port, try again shortly.
                ProxyLog.AcceptFailed(Logger, listener.Port, e.SocketErrorCode.ToString());
                await Task.Delay(TimeSpan.FromMilliseconds(50), Clock, CancellationToken.None);
                continue;
            }

            if (_shuttingDown || stopping.IsCancellationRequested)
            {
                socket.Dispose();
                continue;
            }

            if (Interlocked.Increment(ref listener.Pending) > MaxPendingPerPort)
            {
                Interlocked.Decrement(ref listener.Pending);
                Metrics.Refusals.WithLabels(EgressMetrics.RefusalReasons.Limit).Inc();
                if (!warned)
                {
                    warned = true;
                    ProxyLog.TooManyPending(Logger, listener.Port, MaxPendingPerPort);
                }

                socket.Dispose();
                continue;
            }

            warned = false;
            socket.NoDelay = true;
            SocketOpened();
            Metrics.Connections.Inc();
            var connection = new ProxyConnection(this, listener, socket);
            _connections.TryAdd(connection, 0);
            listener.Connections.TryAdd(connection, 0);
            connection.Start();
        }
    }

    private async Task StopListenerAsync(PortListener listener, string reason, CancellationToken cancellationToken)
    {
        await StopAcceptingAsync(listener);
        var connections = listener.Connections.Keys.ToList();
        foreach (var connection in connections)
        {
            connection.Abort(reason);
        }

        await Task.WhenAll(connections.Select(c => c.Completion)).WaitAsync(cancellationToken);
        ProxyLog.PortClosed(Logger, listener.Port, connections.Count);
    }

    private async Task StopAcceptingAsync(PortListener listener)
    {
        // The accept loop ends first, so no accept is pending and closing the socket closes the
        // port at once (a pending accept would keep it open a moment longer, and a client
        // arriving then would be accepted and reset instead of refused).
        await listener.Stopping.CancelAsync();
        await listener.AcceptLoop;
        listener.Socket.Dispose();
        Metrics.Listeners.Dec();
    }

    private async Task RunShutdownAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        _shuttingDown = true;
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            foreach (var listener in _listeners.Values)
            {
                await StopAcceptingAsync(listener);
            }

            _listeners.Clear();
            PublishPorts();
        }
        finally
        {
            _gate.Release();
        }

        var connections = _connections.Keys.ToList();
        ProxyLog.ShuttingDown(Logger, connections.Count, grace.TotalSeconds);
        foreach (var connection in connections.Where(c => c.IsBetweenRequests))
        {
            connection.Abort(AbortReasons.Shutdown);
        }

        var all = Task.WhenAll(connections.Select(c => c.Completion));
        try
        {
            await all.WaitAsync(grace, Clock, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            var left = _connections.Keys.ToList();
            ProxyLog.ShutdownCut(Logger, left.Count);
            foreach (var connection in left)
            {
                connection.Abort(AbortReasons.Shutdown);
            }

            await all;
        }
    }

    private void Sweep()
    {
        var now = Clock.GetTimestamp();
        foreach (var (connection, _) in _connections)
        {
            connection.CheckDeadline(now);
        }
    }

    private void PublishPorts() => _openPorts = [.. _listeners.Values.Select(l => l.Port).Order()];

    private static void Validate(EgressOptions options)
    {
        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentException($"Egress:{name} must be positive (it is {value.ToString("c", CultureInfo.InvariantCulture)}).");
            }
        }

        Positive(options.ConnectTimeout, nameof(options.ConnectTimeout));
        Positive(options.IdleTimeout, nameof(options.IdleTimeout));
        Positive(options.RequestHeadersTimeout, nameof(options.RequestHeadersTimeout));
        if (options.ShutdownGrace < TimeSpan.Zero)
        {
            throw new ArgumentException("Egress:ShutdownGrace may not be negative.");
        }

        if (options.MaxRequestHeaderBytes is < 1024 or > 1024 * 1024)
        {
            throw new ArgumentException("Egress:MaxRequestHeaderBytes must be between 1024 and 1048576.");
        }

        if (options.MaxTunnelsPerUser < 1)
        {
            throw new ArgumentException("Egress:MaxTunnelsPerUser must be at least 1.");
        }

        if (options.BandwidthBytesPerSecond < 0)
        {
            throw new ArgumentException("Egress:BandwidthBytesPerSecond may not be negative (0 means no cap).");
        }
    }
}
