using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// One open per-user port: its listening socket, the loop that accepts client connections on it
/// (with a cap on those not yet authenticated), and the connections it accepted.
/// </summary>
internal sealed class PortListener
{
    /// <summary>Unauthenticated connections one port holds at once; more are closed at accept.</summary>
    public const int MaxPendingPerPort = 4096;

    private const int ListenBacklog = 1024;

    private readonly ProxyContext _context;
    private readonly CancellationTokenSource _stopping = new();
    private Task _acceptLoop = Task.CompletedTask;

    /// <summary>Connections not yet authenticated (flood guard).</summary>
    public int Pending;

    private PortListener(ProxyContext context, UserEgress user, int port, Socket socket)
    {
        _context = context;
        User = user;
        Port = port;
        Socket = socket;
        Upstream = context.Upstream?.For(user.UserId, port);
    }

    public UserEgress User { get; }

    public int Port { get; }

    public Socket Socket { get; }

    /// <summary>The upstream with this user's <c>{port}</c> and <c>{session}</c>; null in direct mode.</summary>
    public UpstreamEndpoint? Upstream { get; }

    /// <summary>
    /// The upstream a request to <paramref name="target"/> goes through: <see cref="Upstream"/>, except for a host under
    /// <see cref="ProxyContext.HostOverrides"/>, a local stand-in the upstream cannot reach (and must not get Polydev's
    /// upstream credentials on the way).
    /// </summary>
    public UpstreamEndpoint? UpstreamFor(ProxyTarget target) => _context.HostOverrides.Covers(target.Host) ? null : Upstream;

    public ConcurrentDictionary<ProxyConnection, byte> Connections { get; } = new();

    /// <summary>Binds <see cref="ProxyContext.BindAddress"/>:<paramref name="port"/> (0: a free port) and starts accepting.</summary>
    /// <exception cref="PortInUseException">Another socket on this host holds the port.</exception>
    /// <exception cref="InvalidOperationException">The port cannot be bound for another reason; the message says why.</exception>
    public static PortListener Open(ProxyContext context, UserEgress user, int port)
    {
        var address = context.BindAddress;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(ListenBacklog);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            var why = e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "it is in use by another process",
                SocketError.AddressNotAvailable => $"{address} is not an address of this host",
                SocketError.AccessDenied => "permission denied",
                _ => e.SocketErrorCode.ToString(),
            };
            var message = $"Egress port {port} cannot be opened on {address}: {why}.";
            throw e.SocketErrorCode == SocketError.AddressAlreadyInUse ? new PortInUseException(message, e) : new InvalidOperationException(message, e);
        }

        var listener = new PortListener(context, user, ((IPEndPoint)socket.LocalEndPoint!).Port, socket);
        context.Metrics.Listeners.Inc();
        listener._acceptLoop = Task.Run(listener.AcceptLoopAsync, CancellationToken.None);
        ProxyLog.PortOpened(context.Logger, listener.Port, address.ToString());
        return listener;
    }

    /// <summary>Stops accepting, cuts the port's connections with <paramref name="reason"/> and waits for them to end.</summary>
    public async Task CloseAsync(string reason, CancellationToken cancellationToken)
    {
        await StopAcceptingAsync();
        var connections = Connections.Keys.ToList();
        foreach (var connection in connections)
        {
            connection.Abort(reason);
        }

        await Task.WhenAll(connections.Select(c => c.Completion)).WaitAsync(cancellationToken);
        ProxyLog.PortClosed(_context.Logger, Port, connections.Count);
    }

    /// <summary>Closes the listening socket; connections already accepted go on.</summary>
    public async Task StopAcceptingAsync()
    {
        // The accept loop ends first, so no accept is pending and closing the socket closes the
        // port at once (a pending accept would keep it open a moment longer, and a client
        // arriving then would be accepted and reset instead of refused).
        await _stopping.CancelAsync();
        await _acceptLoop;
        Socket.Dispose();
        _context.Metrics.Listeners.Dec();
    }

    private async Task AcceptLoopAsync()
    {
        var stopping = _stopping.Token;
        var warned = false;
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await Socket.AcceptAsync(stopping);
            }
            catch (Exception e) when (stopping.IsCancellationRequested || e is ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors and the like: keep the port, try again shortly.
                ProxyLog.AcceptFailed(_context.Logger, Port, e.SocketErrorCode.ToString());
                await Task.Delay(TimeSpan.FromMilliseconds(50), _context.Clock, CancellationToken.None);
                continue;
            }

            if (_context.IsShuttingDown || stopping.IsCancellationRequested)
            {
                socket.Dispose();
                continue;
            }

            if (Interlocked.Increment(ref Pending) > MaxPendingPerPort)
            {
                Interlocked.Decrement(ref Pending);
                _context.Metrics.Refusals.WithLabels(EgressMetrics.RefusalReasons.Limit).Inc();
                if (!warned)
                {
                    warned = true;
                    ProxyLog.TooManyPending(_context.Logger, Port, MaxPendingPerPort);
                }

                socket.Dispose();
                continue;
            }

            warned = false;
            socket.NoDelay = true;
            var connection = new ProxyConnection(_context, this, socket);
            _context.Connections.Accepted(connection);
            connection.Start();
        }
    }
}

/// <summary>Another socket on this host (another program, or another server) holds the port.</summary>
public sealed class PortInUseException(string message, Exception inner) : InvalidOperationException(message, inner);
