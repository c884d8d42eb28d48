using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// Opens connections through the upstream proxy (Decodo): plain TCP for absolute-URI requests,
/// or a <c>CONNECT</c> tunnel with Polydev's credentials. Every failure of the upstream is
/// logged for the operator and answered to the client as a 502 that names no credentials.
/// </summary>
internal sealed class UpstreamDialer(EgressOptions options, EgressMetrics metrics, TimeProvider clock, ILogger logger)
{
    private const int UpstreamHeadLimit = 16 * 1024;

    /// <summary>A TCP connection to the upstream proxy, for absolute-URI requests.</summary>
    public async Task<Socket> ConnectAsync(UpstreamEndpoint upstream, int port, CancellationToken cancellationToken)
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
    public async Task<(Socket Socket, byte[] Early)> ConnectTunnelAsync(UpstreamEndpoint upstream, int port, ProxyTarget target, CancellationToken cancellationToken)
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
            await socket.SendAllAsync(Encoding.Latin1.GetBytes(request.ToString()), linked.Token);

            using var reader = new SocketReader(socket, UpstreamHeadLimit);
            var length = await ResponseHeadReader.ReadAsync(reader, UpstreamHeadLimit, linked.Token);
            var head = length switch
            {
                0 => throw Refusal(upstream, port, "upstream proxy closed the connection before answering CONNECT", "closed before answering CONNECT"),
                < 0 => throw Refusal(upstream, port, "upstream proxy sent an oversized answer to CONNECT", "oversized CONNECT answer"),
                _ => HttpParser.ParseResponse(reader.Span[..length])
                    ?? throw Refusal(upstream, port, "upstream proxy sent a malformed answer to CONNECT", "malformed CONNECT answer"),
            };

            if (head.Status == 407)
            {
                throw Refusal(upstream, port, "upstream proxy refused Polydev's credentials", "407 to CONNECT: credentials refused");
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
            throw Refusal(upstream, port, $"upstream proxy did not answer CONNECT within {ProxyResponses.Seconds(options.ConnectTimeout)} s", "no answer to CONNECT in time");
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw Refusal(upstream, port, "upstream proxy dropped the connection", "connection lost during CONNECT: " + e.SocketErrorCode);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Logs what went wrong with the upstream (<paramref name="problem"/>); the client gets a 502 with <paramref name="reason"/>.</summary>
    public ProxyRefusal Refusal(UpstreamEndpoint upstream, int port, string reason, string problem)
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
            throw Refusal(upstream, port, "upstream proxy unreachable (its name does not resolve)", "name resolution failed: " + e.SocketErrorCode);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !outer.IsCancellationRequested)
        {
            throw Refusal(upstream, port, $"upstream proxy unreachable (no answer within {ProxyResponses.Seconds(options.ConnectTimeout)} s)", "name resolution timed out");
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
                throw Refusal(upstream, port, $"upstream proxy unreachable (no connection within {ProxyResponses.Seconds(options.ConnectTimeout)} s)", "connect timed out");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw Refusal(upstream, port, "upstream proxy unreachable", "connect failed: " + (last?.ToString() ?? "no addresses"));
    }
}
