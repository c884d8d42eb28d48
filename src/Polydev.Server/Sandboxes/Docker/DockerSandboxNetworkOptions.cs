using System.Net;
using System.Text.Json.Serialization;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>The Polydev-managed Docker network sandboxes join, and the one address they may reach on it.</summary>
/// <param name="Name">Docker network name.</param>
/// <param name="BridgeName">Host interface of the bridge (<c>com.docker.network.bridge.name</c>), at most 15 characters; the firewall rules match on it.</param>
/// <param name="Subnet">IPv4 subnet in CIDR notation; the gateway is its first address.</param>
/// <param name="EgressFirstPort">First TCP port of the egress proxy's range (<c>Egress:FirstPort</c>).</param>
/// <param name="EgressLastPort">Last TCP port of the egress proxy's range (<c>Egress:LastPort</c>).</param>
/// <param name="TurnPort">The TURN server's port on the gateway (UDP and TCP; <c>Login:Turn:ListeningPort</c>), where a login sandbox's media relays; 0: none.</param>
/// <param name="RelayPort">
/// On a cluster node (the Nomad engine's egress gateway): the local port every connection to the egress range is
/// redirected to (NAT), where the gateway relays it to the server's proxy; 0 on a single host, where the proxy itself
/// listens on the range.
/// </param>
public sealed record DockerSandboxNetworkOptions(
    string Name = "polydev-sandboxes",
    string BridgeName = "pd-sandbox0",
    string Subnet = "10.213.0.0/24",
    int EgressFirstPort = 10001,
    int EgressLastPort = 19999,
    int TurnPort = 0,
    int RelayPort = 0)
{
    /// <summary>The bridge's address on the host: where the egress proxy listens (<c>Egress:BindAddress</c>).</summary>
    [JsonIgnore]
    public IPAddress Gateway
    {
        get
        {
            var network = IPNetwork.Parse(Subnet);
            var bytes = network.BaseAddress.GetAddressBytes();
            bytes[^1] += 1;
            return new IPAddress(bytes);
        }
    }

    /// <summary>Polydev's iptables chain for this bridge (at most 28 characters).</summary>
    [JsonIgnore]
    public string Chain => "POLYDEV-" + BridgeName;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name);
        if (string.IsNullOrEmpty(BridgeName) || BridgeName.Length > 15 || !BridgeName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"Bridge name '{BridgeName}' must be 1–15 letters, digits, '-', '_' or '.'.");
        }

        if (!IPNetwork.TryParse(Subnet, out var network) || network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || network.PrefixLength is < 8 or > 29)
        {
            throw new ArgumentException($"Sandbox subnet '{Subnet}' must be an IPv4 CIDR between /8 and /29.");
        }

        if (EgressFirstPort is < 1 or > 65535 || EgressLastPort < EgressFirstPort || EgressLastPort > 65535)
        {
            throw new ArgumentException($"Egress port range {EgressFirstPort}–{EgressLastPort} is not a valid TCP port range.");
        }

        if (RelayPort is < 0 or > 65535 || RelayPort >= EgressFirstPort && RelayPort <= EgressLastPort)
        {
            throw new ArgumentException($"Relay port {RelayPort} must be 0 (none) or a port outside the egress range {EgressFirstPort}–{EgressLastPort}.");
        }

        if (TurnPort is < 0 or > 65535 || TurnPort >= EgressFirstPort && TurnPort <= EgressLastPort)
        {
            throw new ArgumentException($"TURN port {TurnPort} must be 0 (none) or a port outside the egress range {EgressFirstPort}–{EgressLastPort}.");
        }
    }
}
