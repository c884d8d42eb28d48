using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// <see cref="EgressOptions.HostOverrides"/>, parsed once: host names (exact, case-insensitive, no wildcards) that are
/// dialled at a given address instead of being resolved, so a sandbox's CLI or browser asking for <c>claude.ai:443</c>
/// reaches a local test double. An entry with a port replaces the requested port; one without keeps it. The caller
/// still judges the address with the <see cref="DestinationPolicy"/>, and dials it directly: a local stand-in is not
/// reachable through the upstream.
/// </summary>
internal sealed class HostOverrides
{
    private readonly Dictionary<string, (IPAddress Address, int? Port)> _entries = new(StringComparer.OrdinalIgnoreCase);

    /// <exception cref="ArgumentException">An entry is not a host name mapped to an address; the message names it.</exception>
    public HostOverrides(IReadOnlyDictionary<string, string> configured)
    {
        foreach (var (host, value) in configured)
        {
            var name = host.Trim();
            if (name.Length == 0)
            {
                throw new ArgumentException($"Egress:HostOverrides has an entry with no host name (mapped to '{value}').");
            }

            // What ProxyTarget accepts as a host: anything else could never match, so it is a mistake worth saying.
            if (name.Length > 253 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                throw new ArgumentException($"Egress:HostOverrides:{host}: '{host}' is not a host name; give the exact name, without wildcards, scheme or port (e.g. claude.ai).");
            }

            if (!_entries.TryAdd(name, Parse(name, value)))
            {
                throw new ArgumentException($"Egress:HostOverrides:{name} is given twice (host names are compared without regard to case).");
            }
        }
    }

    public int Count => _entries.Count;

    /// <summary>Whether <paramref name="host"/> is overridden: it is then dialled directly, never through the upstream.</summary>
    public bool Covers(string host) => _entries.Count > 0 && _entries.ContainsKey(host);

    /// <summary>Where a connection to <paramref name="host"/>:<paramref name="port"/> goes instead, if the host is overridden.</summary>
    public bool TryGet(string host, int port, [NotNullWhen(true)] out IPEndPoint? endpoint)
    {
        if (_entries.Count > 0 && _entries.TryGetValue(host, out var entry))
        {
            endpoint = new IPEndPoint(entry.Address, entry.Port ?? port);
            return true;
        }

        endpoint = null;
        return false;
    }

    /// <summary>
    /// Every mapping, <c>host = endpoint</c>, for the start warning: plain ASCII without <c>&lt;</c>, <c>&gt;</c> or
    /// <c>&amp;</c>, which the JSON log would otherwise show escaped.
    /// </summary>
    public string Describe() =>
        string.Join("; ", _entries.OrderBy(e => e.Key, StringComparer.OrdinalIgnoreCase).Select(e => $"{e.Key} = {Format(e.Value.Address, e.Value.Port)}"));

    private static string Format(IPAddress address, int? port) => port is { } given
        ? new IPEndPoint(address, given).ToString()
        : (address.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString()) + " (port as requested)";

    /// <summary><c>a.b.c.d</c>, <c>a.b.c.d:port</c>, <c>[v6]</c>, <c>[v6]:port</c> or a bare <c>v6</c>; no names (they would need resolving).</summary>
    private static (IPAddress Address, int? Port) Parse(string host, string? value)
    {
        var text = value?.Trim() ?? "";
        string addressText;
        string? portText = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            addressText = close < 0 ? "" : text[1..close];
            var after = close < 0 ? "" : text[(close + 1)..];
            if (close < 0 || (after.Length > 0 && after[0] != ':'))
            {
                throw NotAnEndpoint(host, value);
            }

            portText = after.Length > 0 ? after[1..] : null;
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            (addressText, portText) = (text[..colon], text[(colon + 1)..]);
        }
        else
        {
            addressText = text;
        }

        // IPAddress.TryParse also takes "127.1" and "1"; only the dotted quad is meant.
        if (!IPAddress.TryParse(addressText, out var address)
            || (address.AddressFamily == AddressFamily.InterNetwork && addressText.Count(c => c == '.') != 3)
            || (text.StartsWith('[') && address.AddressFamily != AddressFamily.InterNetworkV6))
        {
            throw NotAnEndpoint(host, value);
        }

        if (portText is null)
        {
            return (DestinationPolicy.Normalize(address), null);
        }

        if (portText.Length == 0 || !portText.All(char.IsAsciiDigit))
        {
            throw NotAnEndpoint(host, value);
        }

        if (portText.Length > 5 || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > IPEndPoint.MaxPort)
        {
            throw new ArgumentException($"Egress:HostOverrides:{host}: port {portText} in '{value}' is out of range (1-65535).");
        }

        return (DestinationPolicy.Normalize(address), port);
    }

    private static ArgumentException NotAnEndpoint(string host, string? value) =>
        new($"Egress:HostOverrides:{host}: '{value}' is not an address; give an IPv4 address or [IPv6], optionally with a port (e.g. 127.0.0.1:8443 or [::1]:8443).");
}
