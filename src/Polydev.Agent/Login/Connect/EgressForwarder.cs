using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Polydev.Agent.Login.Connect;

/// <summary>
/// The login sandbox's way out, as its programs see it: a proxy on the sandbox's loopback that adds the session's proxy
/// token to each request and passes it to the user's egress port. Chromium takes no credentials in <c>--proxy-server</c>
/// (it would ask the user for them), and the CLI's login then never holds the token in its environment either.
/// </summary>
internal sealed class EgressForwarder : IAsyncDisposable
{
    private const int MaxHeadBytes = 32 * 1024;

    private readonly TcpListener _listener;
    private readonly DnsEndPoint _upstream;
    private readonly string _authorization;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private EgressForwarder(Uri proxyUrl)
    {
        _upstream = new DnsEndPoint(proxyUrl.Host, proxyUrl.Port);
        // The token rides in the URL's user info, percent-encoded; Basic wants it decoded.
        string userInfo = Uri.UnescapeDataString(proxyUrl.UserInfo);
        _authorization = "Proxy-Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo)) + "\r\n";
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary><c>http://127.0.0.1:port</c>: what the browser and the CLI are given as their proxy.</summary>
    public string Address => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public static EgressForwarder Start(string proxyUrl) =>
        Uri.TryCreate(proxyUrl, UriKind.Absolute, out Uri? uri) && uri.Scheme == "http" && uri.UserInfo.Length > 0
            ? new EgressForwarder(uri)
            : throw new ArgumentException("proxyUrl must be http://user:token@host:port.", nameof(proxyUrl));

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                var (head, early) = await ReadHeadAsync(client);
                if (head is null)
                {
                    return;
                }

                using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await upstream.ConnectAsync(_upstream, _stop.Token);
                await upstream.SendAsync(Rewrite(head), SocketFlags.None, _stop.Token);
                if (early.Length > 0)
                {
                    await upstream.SendAsync(early, SocketFlags.None, _stop.Token);
                }

                // One side's end is passed on as a half-close; the other direction may still be answering.
                Task toUpstream = CopyAsync(client, upstream);
                Task toClient = CopyAsync(upstream, client);
                Task first = await Task.WhenAny(toUpstream, toClient);
                await first;
                await (first == toUpstream ? toClient : toUpstream).WaitAsync(TimeSpan.FromMinutes(5), _stop.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or IOException or TimeoutException)
            {
                // One connection failed; the program that made it sees it closed, as from any proxy.
            }
        }
    }

    /// <summary>The request head with the token added (any Proxy-Authorization the program sent dropped) and, for a plain request, no keep-alive: the next request on the connection would go without the token.</summary>
    private byte[] Rewrite(string head)
    {
        string[] lines = head.Split("\r\n");
        bool tunnel = lines[0].StartsWith("CONNECT ", StringComparison.OrdinalIgnoreCase);
        var rewritten = new StringBuilder(head.Length + 128).Append(lines[0]).Append("\r\n").Append(_authorization);
        foreach (string line in lines.Skip(1))
        {
            if (line.Length == 0
                || line.StartsWith("Proxy-Authorization:", StringComparison.OrdinalIgnoreCase)
                || (!tunnel && (line.StartsWith("Proxy-Connection:", StringComparison.OrdinalIgnoreCase) || line.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase))))
            {
                continue;
            }

            rewritten.Append(line).Append("\r\n");
        }

        if (!tunnel)
        {
            rewritten.Append("Connection: close\r\n");
        }

        return Encoding.Latin1.GetBytes(rewritten.Append("\r\n").ToString());
    }

    private async Task<(string? Head, byte[] Early)> ReadHeadAsync(Socket client)
    {
        var buffer = new byte[MaxHeadBytes];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                return (null, []);
            }

            length += read;
            int end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return (Encoding.Latin1.GetString(buffer, 0, end), buffer[(end + 4)..length]);
            }
        }

        return (null, []);
    }

    private async Task CopyAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
        {
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
        }

        to.Shutdown(SocketShutdown.Send);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
