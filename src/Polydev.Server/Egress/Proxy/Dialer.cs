using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// Opens connections toward destinations: directly (resolve once, check every address against
/// the <see cref="DestinationPolicy"/>, connect to a checked address — never resolve twice, so DNS
/// rebinding cannot swap in a private address), or through the upstream proxy.
/// </summary>
internal sealed class Dialer(EgressOptions options, DestinationPolicy policy, EgressMetrics metrics, TimeProvider clock, ILogger logger)
{
    private const int UpstreamHeadLimit = 16 * 1024;

    /// <summary>A direct TCP connection to <paramref name="target"/>.</summary>
    public async Task<Socket> ConnectDirectAsync(ProxyTarget target, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = clock.GetTimestamp();

        IPAddress[] addresses;
        if (IPAddress.TryParse(target.Host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(target.Host, linked.Token);
            }
            catch (SocketException)
            {
                throw new ProxyRefusal(502, $"{target.Host} could not be resolved", EgressMetrics.RefusalReasons.Unreachable, keepAlive: true);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new ProxyRefusal(504, $"resolving {target.Host} took longer than {Seconds(options.ConnectTimeout)} s", EgressMetrics.RefusalReasons.Timeout, keepAlive: true);
            }
        }

        if (addresses.Length == 0)
        {
            throw new ProxyRefusal(502, $"{target.Host} has no addresses", EgressMetrics.RefusalReasons.Unreachable, keepAlive: true);
        }

        for (var i = 0; i < addresses.Length; i++)
        {
            addresses[i] = DestinationPolicy.Normalize(addresses[i]);
            if (policy.Refusal(addresses[i]) is { } kind)
            {
                var what = literal is null ? $"{target.Host} resolves to {addresses[i]}, a {kind} address" : $"{addresses[i]} is a {kind} address";
                throw new ProxyRefusal(403, what + "; direct egress does not go there (Egress:AllowedDestinations)", EgressMetrics.RefusalReasons.Blocked, keepAlive: true);
            }
        }

        SocketException? last = null;
        foreach (var address in addresses.Distinct())
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, target.Port), linked.Token);
                metrics.ConnectDirect.Observe(clock.GetElapsedTime(started).TotalSeconds);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                throw new ProxyRefusal(504, $"{target.Display} did not accept a connection within {Seconds(options.ConnectTimeout)} s", EgressMetrics.RefusalReasons.Timeout, keepAlive: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new ProxyRefusal(502, $"{target.Display} {Describe(last?.SocketErrorCode)}", EgressMetrics.RefusalReasons.Unreachable, keepAlive: true);
    }

    /// <summary>A TCP connection to the upstream proxy, for absolute-URI requests.</summary>
    public async Task<Socket> ConnectUpstreamAsync(UpstreamEndpoint upstream, int port, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = clock.GetTimestamp();
        var socket = await ConnectToUpstreamAsync(upstream, port, timeout, linked.Token, cancellationToken);
        metrics.ConnectUpstream.Observe(clock.GetElapsedTime(started).TotalSeconds);
        return socket;
    }

    /// <summary>
    /// A tunnel to <paramref name="target"/> through the upstream: TCP to the upstream, then
    /// <c>CONNECT</c> with Polydev's credentials. Returns the socket and any bytes the upstream
    /// sent after its 2xx answer (they belong to the tunnel).
    /// </summary>
    public async Task<(Socket Socket, byte[] Early)> ConnectThroughUpstreamAsync(UpstreamEndpoint upstream, int port, ProxyTarget target, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = clock.GetTimestamp();
        var socket = await ConnectToUpstreamAsync(upstream, port, timeout, linked.Token, cancellationToken);
        try
        {
            var request = new StringBuilder(256)
                .Append("CONNECT ").Append(target.Authority).Append(" HTTP/1.1\r\n")
                .Append("Host: ").Append(target.Authority).Append("\r\n");
            if (upstream.ProxyAuthorization is not null)
            {
                request.Append("Proxy-Authorization: ").Append(upstream.ProxyAuthorization).Append("\r\n");
            }

            request.Append("\r\n");
            await SendAllAsync(socket, Encoding.Latin1.GetBytes(request.ToString()), linked.Token);

            using var reader = new SocketReader(socket, UpstreamHeadLimit);
            var length = await ReadHeadAsync(reader, UpstreamHeadLimit, linked.Token);
            var head = length switch
            {
                0 => throw UpstreamRefusal(upstream, port, "upstream proxy closed the connection before answering CONNECT", "closed before answering CONNECT"),
                < 0 => throw UpstreamRefusal(upstream, port, "upstream proxy sent an oversized answer to CONNECT", "oversized CONNECT answer"),
                _ => HttpParser.ParseResponse(reader.Span[..length])
                    ?? throw UpstreamRefusal(upstream, port, "upstream proxy sent a malformed answer to CONNECT", "malformed CONNECT answer"),
            };

            if (head.Status == 407)
            {
                throw UpstreamRefusal(upstream, port, "upstream proxy refused Polydev's credentials", "407 to CONNECT: credentials refused");
            }

            if (head.Status is < 200 or >= 300)
            {
                throw new ProxyRefusal(502, $"upstream proxy could not open {target.Display} (it answered {head.Status.ToString(CultureInfo.InvariantCulture)})", EgressMetrics.RefusalReasons.Upstream, keepAlive: true);
            }

            reader.Consume(length);
            var early = reader.Span.ToArray();
            metrics.ConnectUpstream.Observe(clock.GetElapsedTime(started).TotalSeconds);
            return (socket, early);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw UpstreamRefusal(upstream, port, $"upstream proxy did not answer CONNECT within {Seconds(options.ConnectTimeout)} s", "no answer to CONNECT in time");
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw UpstreamRefusal(upstream, port, "upstream proxy dropped the connection", "connection lost during CONNECT: " + e.SocketErrorCode);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads a response head: its length, 0 at end of stream before one, -1 when it exceeds <paramref name="limit"/>.</summary>
    public static async ValueTask<int> ReadHeadAsync(SocketReader reader, int limit, CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            if (reader.Count > 0)
            {
                var end = HttpParser.FindHeadEnd(reader.Span, scanned);
                if (end > 0)
                {
                    return end <= limit ? end : -1;
                }

                if (reader.Count >= limit || reader.IsFull)
                {
                    return -1;
                }

                scanned = reader.Count;
            }

            if (await reader.FillAsync(cancellationToken) == 0)
            {
                return 0;
            }
        }
    }

    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    public ProxyRefusal UpstreamRefusal(UpstreamEndpoint upstream, int port, string reason, string problem)
    {
        ProxyLog.UpstreamFailed(logger, upstream.Display, port, problem);
        return new ProxyRefusal(502, reason, EgressMetrics.RefusalReasons.Upstream, keepAlive: true);
    }

    private async Task<Socket> ConnectToUpstreamAsync(UpstreamEndpoint upstream, int port, CancellationTokenSource timeout, CancellationToken linked, CancellationToken outer)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(upstream.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(upstream.Host, linked);
        }
        catch (SocketException e)
        {
            throw UpstreamRefusal(upstream, port, "upstream proxy unreachable (its name does not resolve)", "name resolution failed: " + e.SocketErrorCode);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !outer.IsCancellationRequested)
        {
            throw UpstreamRefusal(upstream, port, $"upstream proxy unreachable (no answer within {Seconds(options.ConnectTimeout)} s)", "name resolution timed out");
        }

        SocketError? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, upstream.Port), linked);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e.SocketErrorCode;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !outer.IsCancellationRequested)
            {
                socket.Dispose();
                throw UpstreamRefusal(upstream, port, $"upstream proxy unreachable (no connection within {Seconds(options.ConnectTimeout)} s)", "connect timed out");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw UpstreamRefusal(upstream, port, "upstream proxy unreachable", "connect failed: " + (last?.ToString() ?? "no addresses"));
    }

    private static string Describe(SocketError? error) => error switch
    {
        SocketError.ConnectionRefused => "refused the connection",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "is unreachable",
        SocketError.TimedOut => "did not answer",
        null => "could not be reached",
        _ => "could not be reached (" + error + ")",
    };

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
