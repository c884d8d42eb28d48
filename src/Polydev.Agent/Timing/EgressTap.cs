using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Polydev.Agent.Timing;

/// <summary>
/// A relay on the sandbox's loopback in front of the egress proxy, so that the job's clock sees the CLI's traffic
/// leave and the provider's first byte come back: the CLI is given this relay as its proxy (the same user and
/// token in the URL), and every byte passes through unchanged, in both directions, to the proxy the job names. The
/// provider's first byte is the first byte after the proxy's answer to CONNECT (the end of its header). Nothing is
/// parsed beyond that, nothing is kept: TLS runs end to end between the CLI and the provider.
/// <para>
/// A CLI started ahead of its job (docs/events.md, "Started ahead") cannot take a proxy once it runs: it is given the
/// relay's bare loopback address at start (<see cref="Listen"/>), before any job exists, and the relay learns where to
/// go when the job arrives (<see cref="Forward"/>), adding the job's proxy credentials to each tunnel's
/// <c>CONNECT</c> itself. Connections before that are closed: nothing leaves the sandbox before its job.
/// </para>
/// </summary>
internal sealed class EgressTap : IAsyncDisposable
{
    /// <summary>Longest request head read from the CLI when credentials are added to it.</summary>
    private const int MaxRequestHead = 16 * 1024;

    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private Upstream? _upstream;

    /// <summary>Where the relay forwards, once a job says so.</summary>
    /// <param name="Authorization">The <c>Proxy-Authorization</c> line added to a request head that has none, or null to pass heads unchanged.</param>
    private sealed record Upstream(Uri Proxy, JobClock Clock, byte[]? Authorization);

    private EgressTap(Socket listener)
    {
        _listener = listener;
        _accepting = AcceptAsync();
    }

    /// <summary>The relay's bare loopback address, for a CLI started before its job: no user, no token.</summary>
    public string LoopbackUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";

    /// <summary>The proxy URL to give the CLI: the job's, with the relay's loopback address in place of the proxy's.</summary>
    public string ProxyUrl
    {
        get
        {
            Uri proxy = _upstream?.Proxy ?? throw new InvalidOperationException("The relay forwards nowhere yet.");
            return new UriBuilder(proxy) { Host = "127.0.0.1", Port = ((IPEndPoint)_listener.LocalEndPoint!).Port }.Uri.AbsoluteUri.TrimEnd('/');
        }
    }

    public static EgressTap Start(Uri proxy, JobClock clock)
    {
        EgressTap tap = Listen();
        tap.Forward(proxy, clock, addCredentials: false);
        return tap;
    }

    /// <summary>A relay bound to a loopback port that forwards nowhere yet: connections are closed until <see cref="Forward"/>.</summary>
    public static EgressTap Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(64);
        return new EgressTap(listener);
    }

    /// <summary>
    /// From now on, forwards to <paramref name="proxy"/>, timing on <paramref name="clock"/>. With
    /// <paramref name="addCredentials"/>, the user and token of <paramref name="proxy"/> go into each request head
    /// that has no <c>Proxy-Authorization</c> of its own (the first head of a connection only: a <c>CONNECT</c>).
    /// </summary>
    public void Forward(Uri proxy, JobClock clock, bool addCredentials)
    {
        byte[]? authorization = null;
        if (addCredentials && proxy.UserInfo is { Length: > 0 } userInfo)
        {
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            string user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            string password = colon < 0 ? "" : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            authorization = Encoding.ASCII.GetBytes("Proxy-Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)) + "\r\n");
        }

        if (Interlocked.CompareExchange(ref _upstream, new Upstream(proxy, clock, authorization), null) is not null)
        {
            throw new InvalidOperationException("The relay already forwards for a job.");
        }
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
            if (Volatile.Read(ref _upstream) is not { } target)
            {
                // No job yet: a CLI started ahead has nowhere to go.
                return;
            }

            try
            {
                client.NoDelay = true;
                upstream.NoDelay = true;
                await upstream.ConnectAsync(target.Proxy.Host, target.Proxy.Port, _stop.Token);
                Action? egress = target.Clock.EgressFirstByte;
                if (target.Authorization is { } authorization)
                {
                    egress();
                    egress = null;
                    if (!await ForwardHeadAsync(client, upstream, authorization))
                    {
                        return;
                    }
                }

                // Whichever side ends first ends the other: a proxy that closes closes the CLI's connection, and back.
                Task outbound = CopyAsync(client, upstream, onFirst: egress, afterHeader: null);
                Task inbound = CopyAsync(upstream, client, onFirst: null, afterHeader: target.Clock.ProviderFirstByte);
                await Task.WhenAny(outbound, inbound);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or ObjectDisposedException)
            {
                // The CLI sees its connection end, as it would with the proxy itself.
            }
        }
    }

    /// <summary>
    /// Reads the CLI's first request head and sends it on with <paramref name="authorization"/> after its request line,
    /// unless it carries credentials of its own; what came after the head follows unchanged. False when the CLI sent
    /// no complete head.
    /// </summary>
    private async Task<bool> ForwardHeadAsync(Socket client, Socket upstream, byte[] authorization)
    {
        var head = new byte[MaxRequestHead];
        int length = 0;
        int end;
        while ((end = head.AsSpan(0, length).IndexOf(HeaderEnd)) < 0)
        {
            if (length == head.Length)
            {
                return false;
            }

            int read = await client.ReceiveAsync(head.AsMemory(length), SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                return false;
            }

            length += read;
        }

        int lineEnd = head.AsSpan(0, end + 2).IndexOf("\r\n"u8) + 2;
        bool hasOwn = Encoding.ASCII.GetString(head, 0, end).Contains("\r\nProxy-Authorization:", StringComparison.OrdinalIgnoreCase);
        if (hasOwn)
        {
            await upstream.SendAsync(head.AsMemory(0, length), SocketFlags.None, _stop.Token);
        }
        else
        {
            await upstream.SendAsync(head.AsMemory(0, lineEnd), SocketFlags.None, _stop.Token);
            await upstream.SendAsync(authorization, SocketFlags.None, _stop.Token);
            await upstream.SendAsync(head.AsMemory(lineEnd, length - lineEnd), SocketFlags.None, _stop.Token);
        }

        return true;
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
