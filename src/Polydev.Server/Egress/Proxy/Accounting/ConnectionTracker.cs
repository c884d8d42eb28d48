using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// The proxy's open client connections and what they count toward: each user's cap on
/// authenticated connections (<see cref="EgressOptions.MaxTunnelsPerUser"/>), the sockets held,
/// and the connection and tunnel gauges. Sweeps their deadlines and drains them at shutdown.
/// </summary>
internal sealed class ConnectionTracker(int maxPerUser, EgressMetrics metrics)
{
    private readonly ConcurrentDictionary<ProxyConnection, byte> _connections = new();
    private int _activeTunnels;
    private int _openSockets;

    /// <summary>Authenticated connections open on all ports: CONNECT tunnels and keep-alive HTTP connections.</summary>
    public int ActiveTunnels => Volatile.Read(ref _activeTunnels);

    /// <summary>Client connections open, authenticated or not.</summary>
    public int Count => _connections.Count;

    /// <summary>Sockets held besides the listeners: client connections and connections toward destinations.</summary>
    public int OpenSockets => Volatile.Read(ref _openSockets);

    /// <summary>A connection just accepted on <paramref name="connection"/>'s port, not yet authenticated.</summary>
    public void Accepted(ProxyConnection connection)
    {
        SocketOpened();
        metrics.Connections.Inc();
        _connections.TryAdd(connection, 0);
        connection.Port.Connections.TryAdd(connection, 0);
    }

    /// <summary>Counts a connection toward its user's cap the first time it authenticates.</summary>
    public bool TryAdmit(ProxyConnection connection)
    {
        var user = connection.Port.User;
        if (Interlocked.Increment(ref user.ActiveTunnels) > maxPerUser)
        {
            Interlocked.Decrement(ref user.ActiveTunnels);
            return false;
        }

        Interlocked.Decrement(ref connection.Port.Pending);
        Interlocked.Increment(ref _activeTunnels);
        metrics.ActiveTunnels.Inc();
        return true;
    }

    public void SocketOpened() => Interlocked.Increment(ref _openSockets);

    public void SocketClosed() => Interlocked.Decrement(ref _openSockets);

    public void Closed(ProxyConnection connection, bool admitted)
    {
        if (admitted)
        {
            Interlocked.Decrement(ref connection.Port.User.ActiveTunnels);
            Interlocked.Decrement(ref _activeTunnels);
            metrics.ActiveTunnels.Dec();
        }
        else
        {
            Interlocked.Decrement(ref connection.Port.Pending);
        }

        connection.Port.Connections.TryRemove(connection, out _);
        _connections.TryRemove(connection, out _);
        metrics.Connections.Dec();
        SocketClosed();
    }

    /// <summary>Cuts every connection whose deadline (headers, keep-alive or idle timeout) has passed.</summary>
    public void Sweep(long now)
    {
        foreach (var (connection, _) in _connections)
        {
            connection.CheckDeadline(now);
        }
    }

    /// <summary>
    /// Closes connections that are between requests, lets tunnels and requests in flight run for
    /// up to <paramref name="grace"/> (or until <paramref name="cancellationToken"/> fires), then
    /// cuts what is left.
    /// </summary>
    public async Task DrainAsync(TimeSpan grace, TimeProvider clock, ILogger logger, CancellationToken cancellationToken)
    {
        var connections = _connections.Keys.ToList();
        ProxyLog.ShuttingDown(logger, connections.Count, grace.TotalSeconds);
        foreach (var connection in connections.Where(c => c.IsBetweenRequests))
        {
            connection.Abort(AbortReasons.Shutdown);
        }

        var all = Task.WhenAll(connections.Select(c => c.Completion));
        try
        {
            await all.WaitAsync(grace, clock, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            var left = _connections.Keys.ToList();
            ProxyLog.ShutdownCut(logger, left.Count);
            foreach (var connection in left)
            {
                connection.Abort(AbortReasons.Shutdown);
            }

            await all;
        }
    }
}
