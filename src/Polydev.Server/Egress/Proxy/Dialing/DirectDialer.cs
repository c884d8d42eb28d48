using System.Net;
using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// Opens direct connections toward destinations (no upstream configured): resolve once, check
/// every address against the <see cref="DestinationPolicy"/>, connect to a checked address —
/// never resolve twice, so DNS rebinding cannot swap in a private address.
/// </summary>
internal sealed class DirectDialer(EgressOptions options, DestinationPolicy policy, EgressMetrics metrics, TimeProvider clock)
{
    /// <summary>A direct TCP connection to <paramref name="target"/>.</summary>
    public async Task<Socket> ConnectAsync(ProxyTarget target, CancellationToken cancellationToken)
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
                throw new ProxyRefusal(504, $"resolving {target.Host} took longer than {ProxyResponses.Seconds(options.ConnectTimeout)} s", EgressMetrics.RefusalReasons.Timeout, keepAlive: true);
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
                throw new ProxyRefusal(504, $"{target.Display} did not accept a connection within {ProxyResponses.Seconds(options.ConnectTimeout)} s", EgressMetrics.RefusalReasons.Timeout, keepAlive: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new ProxyRefusal(502, $"{target.Display} {Describe(last?.SocketErrorCode)}", EgressMetrics.RefusalReasons.Unreachable, keepAlive: true);
    }

    private static string Describe(SocketError? error) => error switch
    {
        SocketError.ConnectionRefused => "refused the connection",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "is unreachable",
        SocketError.TimedOut => "did not answer",
        null => "could not be reached",
        _ => "could not be reached (" + error + ")",
    };
}
