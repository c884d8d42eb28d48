using System.Net;
using System.Net.Sockets;

namespace Polydev.Server.Login.Turn;

/// <summary>Whether coturn's listening port is free before it starts, and taken by it afterwards.</summary>
internal static class TurnServerProbe
{
    /// <summary>Where this host reaches coturn: its first listening address, or loopback when it listens everywhere.</summary>
    public static IPEndPoint Endpoint(TurnOptions options)
    {
        var address = options.ListeningAddresses.Count == 0 ? IPAddress.Loopback : IPAddress.Parse(options.ListeningAddresses[0]);
        if (address.Equals(IPAddress.Any))
        {
            address = IPAddress.Loopback;
        }
        else if (address.Equals(IPAddress.IPv6Any))
        {
            address = IPAddress.IPv6Loopback;
        }

        return new IPEndPoint(address, options.ListeningPort);
    }

    /// <summary>True once a TCP connection to coturn's listener opens.</summary>
    public static async Task<bool> AcceptsAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>
    /// The first UDP listening endpoint another process holds, or null. coturn binds with SO_REUSEPORT and starts
    /// without complaint beside another coturn on the same port, so the kernel would share the clients out between
    /// them; a plain bind fails where any socket holds the port.
    /// </summary>
    public static string? BusyEndpoint(TurnOptions options)
    {
        var addresses = options.ListeningAddresses.Count == 0 ? [IPAddress.Any] : options.ListeningAddresses.Select(IPAddress.Parse).ToList();
        foreach (var address in addresses)
        {
            var endpoint = new IPEndPoint(address, options.ListeningPort);
            using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                socket.Bind(endpoint);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return endpoint.ToString();
            }
        }

        return null;
    }
}
