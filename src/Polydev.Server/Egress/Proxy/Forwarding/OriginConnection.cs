using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// The connection toward a destination (direct mode) or the upstream proxy that a client
/// connection keeps between absolute-URI requests, reused for the next request to the same
/// place while it is still open and quiet.
/// </summary>
internal sealed class OriginConnection(string key, Socket socket) : IDisposable
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Where it goes: the destination's host:port, or "upstream".</summary>
    public string Key { get; } = key;

    public Socket Socket { get; } = socket;

    public SocketReader Reader { get; } = new(socket, BufferSize);

    /// <summary>The connection's kept one if it is usable for <paramref name="target"/>, otherwise a new one (the old one closed).</summary>
    public static async Task<(OriginConnection Origin, bool Reused)> GetAsync(ProxyConnection connection, ProxyTarget target, CancellationToken token)
    {
        var upstream = connection.Port.UpstreamFor(target);
        var key = upstream is null ? target.Display : "upstream";
        if (connection.Origin is { } existing)
        {
            if (existing.Key == key && existing.IsUsable())
            {
                return (existing, true);
            }

            connection.DropOrigin();
        }

        var context = connection.Context;
        connection.ClearDeadline();
        var socket = upstream is not null
            ? await context.UpstreamDialer.ConnectAsync(upstream, connection.Port.Port, token)
            : await context.DirectDialer.ConnectAsync(target, token);
        context.Connections.SocketOpened();
        connection.Touch();
        connection.Origin = new OriginConnection(key, socket);
        return (connection.Origin, false);
    }

    /// <summary>An idle connection that has something to read was closed (or misbehaves): not reusable.</summary>
    public bool IsUsable()
    {
        try
        {
            return Reader.Count == 0 && !Socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        Socket.Dispose();
        Reader.Dispose();
    }
}
