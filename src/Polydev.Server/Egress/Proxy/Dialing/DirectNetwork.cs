using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// The network as the direct dialer meets it: name resolution, TCP connects, and this host's own addresses. The one
/// seam the dialer's tests replace, so they can change DNS answers between requests and see every address the dialer
/// would connect to without a packet leaving the machine.
/// </summary>
public interface IDirectNetwork
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);

    Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken);

    /// <summary>Every address on every interface of this host, as of now.</summary>
    IReadOnlyCollection<IPAddress> HostAddresses();
}

/// <summary>The operating system's resolver, sockets and interfaces.</summary>
public sealed class SystemNetwork : IDirectNetwork
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);

    public async Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public IReadOnlyCollection<IPAddress> HostAddresses() =>
        [.. NetworkInterface.GetAllNetworkInterfaces().SelectMany(nic => nic.GetIPProperties().UnicastAddresses).Select(a => a.Address)];
}

/// <summary>
/// This host's own addresses, re-read from <see cref="IDirectNetwork.HostAddresses"/> at most every
/// <see cref="RefreshInterval"/>: an interface that gains an address (a new container network, a DHCP lease) is
/// covered within seconds, and a busy proxy does not list interfaces for every connection.
/// </summary>
internal sealed class HostAddresses(IDirectNetwork network, TimeProvider clock)
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private HashSet<IPAddress> _addresses = [];
    private long _readAt = long.MinValue;

    public bool Contains(IPAddress address)
    {
        lock (_gate)
        {
            if (_readAt == long.MinValue || clock.GetElapsedTime(_readAt) >= RefreshInterval)
            {
                _addresses = [.. network.HostAddresses().Select(Strip)];
                _readAt = clock.GetTimestamp();
            }

            return _addresses.Contains(Strip(address));
        }
    }

    /// <summary>Without a scope id and as IPv4 when mapped, so <c>fe80::1%2</c> and <c>::ffff:10.0.0.1</c> compare as the host's.</summary>
    private static IPAddress Strip(IPAddress address)
    {
        address = DestinationPolicy.Normalize(address);
        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;
    }
}
