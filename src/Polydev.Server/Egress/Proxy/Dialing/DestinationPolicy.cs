using System.Net;
using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// Which addresses a direct connection may reach: none of the IANA special-purpose ranges (loopback, link-local with the
/// cloud metadata service at 169.254.169.254, private, shared (CGNAT), documentation, benchmarking, multicast, reserved,
/// the IPv6 transition prefixes 6to4 and Teredo, which carry IPv4 addresses a relay would reach), and none of this
/// host's own addresses, unless an operator-given CIDR block allows them: a sandbox must not reach the host, the
/// metadata service or the operator's own network. NAT64 and IPv4-compatible addresses are judged by the IPv4 address
/// they carry; IPv4-mapped ones are that IPv4 address.
/// </summary>
internal sealed class DestinationPolicy
{
    /// <summary>First match wins: the narrower entries come before the blocks that contain them.</summary>
    internal static readonly (IPNetwork Network, string Kind)[] Blocked =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared (CGNAT)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation"),
        (IPNetwork.Parse("192.31.196.0/24"), "special-purpose (AS112)"),
        (IPNetwork.Parse("192.52.193.0/24"), "special-purpose (AMT)"),
        (IPNetwork.Parse("192.88.99.0/24"), "6to4 relay"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("192.175.48.0/24"), "special-purpose (AS112)"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved or broadcast"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("::ffff:0:0:0/96"), "IPv4-translated"),
        (IPNetwork.Parse("100::/64"), "discard"),
        (IPNetwork.Parse("2001::/32"), "Teredo"),
        (IPNetwork.Parse("2001::/23"), "IETF protocol assignment"),
        (IPNetwork.Parse("2001:db8::/32"), "documentation"),
        (IPNetwork.Parse("2002::/16"), "6to4"),
        (IPNetwork.Parse("3fff::/20"), "documentation"),
        (IPNetwork.Parse("5f00::/16"), "segment routing (SRv6)"),
        (IPNetwork.Parse("fc00::/7"), "private"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("fec0::/10"), "site-local"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    // NAT64 (RFC 6052) and IPv4-compatible addresses carry an IPv4 address that a gateway may reach.
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork Nat64Local = IPNetwork.Parse("64:ff9b:1::/48");

    private readonly IPNetwork[] _allowed;
    private readonly HostAddresses? _host;

    /// <param name="host">This host's addresses; null only in tests of the ranges alone.</param>
    public DestinationPolicy(IEnumerable<string> allowed, HostAddresses? host)
    {
        _host = host;
        var networks = new List<IPNetwork>();
        foreach (var entry in allowed)
        {
            var text = entry.Trim();
            if (!text.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(text, out var single))
            {
                single = Normalize(single);
                networks.Add(new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
                continue;
            }

            if (!IPNetwork.TryParse(text, out var network))
            {
                throw new ArgumentException($"Egress:AllowedDestinations: '{entry}' is not a CIDR block such as 127.0.0.1/32 or fd00::/8.");
            }

            networks.Add(network);
        }

        _allowed = [.. networks];
    }

    /// <summary>IPv4-mapped IPv6 addresses (<c>::ffff:a.b.c.d</c>) become the IPv4 address they carry.</summary>
    public static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Null when a direct connection may go to <paramref name="address"/>; otherwise the kind of address it is.</summary>
    public string? Refusal(IPAddress address)
    {
        address = Normalize(address);
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            address = new IPAddress(address.GetAddressBytes());
        }

        foreach (var network in _allowed)
        {
            if (network.Contains(address))
            {
                return null;
            }
        }

        foreach (var (network, kind) in Blocked)
        {
            if (network.Contains(address))
            {
                return kind;
            }
        }

        if (_host?.Contains(address) == true)
        {
            return "this host's own";
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && (Nat64.Contains(address) || Nat64Local.Contains(address) || IsIPv4Compatible(address)))
        {
            var bytes = address.GetAddressBytes();
            return Refusal(new IPAddress(bytes.AsSpan(12, 4)));
        }

        return null;
    }

    private static bool IsIPv4Compatible(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return bytes[..12].IndexOfAnyExcept((byte)0) < 0;
    }
}
