using System.Net;
using System.Net.Sockets;

namespace Polydev.Agent.Timing;

/// <summary>
/// A relay on the sandbox's loopback in front of the egress proxy, so that the job's clock sees the CLI's traffic
/// leave and the provider's first byte come back: the CLI is given this relay as its proxy (the same user and
/// token in the URL), and every byte passes through unchanged, in both directions, to the proxy the job names. The
/// provider's first byte is the first byte after the proxy's answer to CONNECT (the end of its header). Nothing is
/// parsed beyond that, nothing is kept: TLS runs end to end between the CLI and the provider.
/// </summary>
internal sealed class EgressTap : IAsyncDisposable
{
    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;

    private readonly Socket _listener;
    private readonly Uri _proxy;
    private readonly JobClock _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private EgressTap(Socket listener, Uri proxy, JobClock clock)
    {
        _listener = listener;
        _proxy = proxy;
        _clock = clock;
        _accepting = AcceptAsync();
    }

    /// <summary>The proxy URL to give the CLI: the job's, with the relay's loopback address in place of the proxy's.</summary>
    public string ProxyUrl => new UriBuilder(_proxy) { Host = "127.0.0.1", Port = ((IPEndPoint)_listener.LocalEndPoint!).Port }.Uri.AbsoluteUri.TrimEnd('/');

    public static EgressTap Start(Uri proxy, JobClock clock)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(64);
        return new EgressTap(listener, proxy, clock);
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                Socket client = await _listener.AcceptAsync(_stop.Token);
                _ = RelayAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using (client)
        using (var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            try
            {
                client.NoDelay = true;
                upstream.NoDelay = true;
                await upstream.ConnectAsync(_proxy.Host, _proxy.Port, _stop.Token);
                // Whichever side ends first ends the other: a proxy that closes closes the CLI's connection, and back.
                Task outbound = CopyAsync(client, upstream, onFirst: _clock.EgressFirstByte, afterHeader: null);
                Task inbound = CopyAsync(upstream, client, onFirst: null, afterHeader: _clock.ProviderFirstByte);
                await Task.WhenAny(outbound, inbound);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or ObjectDisposedException)
            {
                // The CLI sees its connection end, as it would with the proxy itself.
            }
        }
    }

    /// <param name="onFirst">Called when the first byte passes.</param>
    /// <param name="afterHeader">
    /// Called when the first byte after the first <c>\r\n\r\n</c> passes, if that header was a <c>200</c>: the tunnel's
    /// first byte from the provider. A refused CONNECT's body is the proxy's, not the provider's.
    /// </param>
    private async Task CopyAsync(Socket from, Socket to, Action? onFirst, Action? afterHeader)
    {
        var buffer = new byte[64 * 1024];
        var matched = 0;
        var headerDone = afterHeader is null;
        var seen = 0;
        var statusLine = new byte[12];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
            {
                onFirst?.Invoke();
                onFirst = null;
                if (!headerDone)
                {
                    for (var i = 0; i < read; i++)
                    {
                        if (seen < statusLine.Length)
                        {
                            statusLine[seen++] = buffer[i];
                        }

                        matched = buffer[i] == HeaderEnd[matched] ? matched + 1 : buffer[i] == HeaderEnd[0] ? 1 : 0;
                        if (matched == HeaderEnd.Length)
                        {
                            headerDone = true;
                            // "HTTP/1.1 200": the tunnel is open; anything else, and what follows is the proxy's.
                            afterHeader = statusLine.AsSpan(9, 3).SequenceEqual("200"u8) ? afterHeader : null;
                            if (i + 1 < read && afterHeader is not null)
                            {
                                afterHeader();
                                afterHeader = null;
                            }

                            break;
                        }
                    }
                }
                else if (afterHeader is not null)
                {
                    afterHeader();
                    afterHeader = null;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        _stop.Dispose();
    }
}
