using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// A <c>CONNECT host:port</c> request: authenticate, open the connection (directly or through
/// the upstream), answer 200, pass on bytes already read on either side, then relay both ways
/// with <see cref="TunnelRelay"/> until both are done. The client connection ends with the tunnel.
/// </summary>
internal static class ConnectTunnel
{
    public static async Task RunAsync(ProxyConnection connection, RequestHead head, CancellationToken token)
    {
        var context = connection.Context;
        var exchange = connection.Exchange;
        var reader = connection.Reader;
        var client = connection.Client;
        var target = ProxyTarget.ParseConnect(head.Target);
        exchange.Destination = target.Display;
        await ProxyAuthentication.AuthenticateAsync(connection, head, token);

        // The dialer bounds its own time (ConnectTimeout).
        connection.ClearDeadline();
        Socket destination;
        var early = Array.Empty<byte>();
        if (connection.Port.UpstreamFor(target) is { } upstream)
        {
            (destination, early) = await context.UpstreamDialer.ConnectTunnelAsync(upstream, connection.Port.Port, target, token);
        }
        else
        {
            destination = await context.DirectDialer.ConnectAsync(target, token);
        }

        context.Connections.SocketOpened();
        try
        {
            connection.SetDeadline(context.Options.IdleTimeout, AbortReasons.IdleTimeout);
            await client.SendAllAsync(ProxyResponses.ConnectionEstablished, token);
            exchange.ResponseStarted = true;
            exchange.Status = 200;
            if (early.Length > 0)
            {
                await client.SendAllAsync(early, token);
                connection.CountDown(early.Length);
            }

            if (reader.Count > 0)
            {
                var pipelined = reader.Count;
                await destination.SendAllAsync(reader.Memory, token);
                connection.CountUp(pipelined);
                reader.Consume(pipelined);
            }

            reader.ReleaseIfEmpty();
            await Task.WhenAll(TunnelRelay.PumpAsync(connection, client, destination, up: true, token), TunnelRelay.PumpAsync(connection, destination, client, up: false, token));
            exchange.Outcome = connection.AbortReason ?? "ok";
        }
        finally
        {
            destination.Dispose();
            context.Connections.SocketClosed();
        }
    }
}
