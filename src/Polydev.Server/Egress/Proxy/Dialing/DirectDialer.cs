using System.Net;
using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// Opens direct connections toward destinations (no upstream configured, or a host under <see cref="HostOverrides"/>):
/// resolve once, check every address against the <see cref="DestinationPolicy"/>, connect only to the checked addresses
/// — never resolve twice, so a DNS answer that changes (rebinding) cannot swap in a private address between the check
/// and the connect. A host under <see cref="HostOverrides"/> is not resolved: its mapped address takes the answer's
/// place and meets the same check. What went wrong is logged and counted; the client gets one uniform answer per kind
/// (<see cref="ProxyResponses"/>).
/// </summary>
internal sealed class DirectDialer(EgressOptions options, DestinationPolicy policy, HostOverrides overrides, IDirectNetwork network, EgressMetrics metrics, TimeProvider clock)
{
    /// <summary>A direct TCP connection to <paramref name="target"/>.</summary>
    public async Task<Socket> ConnectAsync(ProxyTarget target, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = clock.GetTimestamp();

        IPAddress[] addresses;
        IPAddress? literal = null;
        var port = target.Port;
        var where = target.Display;
        if (overrides.TryGet(target.Host, target.Port, out var standIn))
        {
            addresses = [standIn.Address];
            port = standIn.Port;
            where = $"{target.Display} (mapped to {standIn})";
        }
        else if (IPAddress.TryParse(target.Host, out literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await network.ResolveAsync(target.Host, linked.Token);
            }
            catch (SocketException e)
            {
                throw Unreachable($"{target.Host} could not be resolved ({e.SocketErrorCode})");
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw Unreachable($"resolving {target.Host} took longer than {ProxyResponses.Seconds(options.ConnectTimeout)} s", EgressMetrics.RefusalReasons.Timeout);
            }
        }

        if (addresses.Length == 0)
        {
            throw Unreachable($"{target.Host} has no addresses");
        }

        for (var i = 0; i < addresses.Length; i++)
        {
            addresses[i] = DestinationPolicy.Normalize(addresses[i]);
            if (policy.Refusal(addresses[i]) is { } kind)
            {
                var what = standIn is not null ? $"{target.Host} is mapped to {addresses[i]} (Egress:HostOverrides), a {kind} address"
                    : literal is null ? $"{target.Host} resolves to {addresses[i]}, a {kind} address"
                    : $"{addresses[i]} is a {kind} address";
                throw new ProxyRefusal(403, what, EgressMetrics.RefusalReasons.Blocked, keepAlive: true);
            }
        }

        SocketException? last = null;
        foreach (var address in addresses.Distinct())
        {
            try
            {
                var socket = await network.ConnectAsync(new IPEndPoint(address, port), linked.Token);
                (standIn is null ? metrics.ConnectDirect : metrics.ConnectOverride).Observe(clock.GetElapsedTime(started).TotalSeconds);
                return socket;
            }
            catch (SocketException e)
            {
                last = e;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw Unreachable($"{where} did not accept a connection within {ProxyResponses.Seconds(options.ConnectTimeout)} s", EgressMetrics.RefusalReasons.Timeout);
            }
        }

        throw Unreachable($"{where} {Describe(last?.SocketErrorCode)}");
    }

    private static ProxyRefusal Unreachable(string why, string metricReason = EgressMetrics.RefusalReasons.Unreachable) =>
        new(502, why, metricReason, keepAlive: true);

    private static string Describe(SocketError? error) => error switch
    {
        SocketError.ConnectionRefused => "refused the connection",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "is unreachable",
        SocketError.TimedOut => "did not answer",
        null => "could not be reached",
        _ => "could not be reached (" + error + ")",
    };
}
