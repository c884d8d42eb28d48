using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>Where a request goes: a host (IPv6 without brackets) and port, and how it was written.</summary>
/// <param name="Authority"><c>host:port</c> as it goes on the wire (brackets around IPv6).</param>
/// <param name="PathAndQuery">For absolute-URI requests, the origin-form target; "" for CONNECT.</param>
internal sealed record ProxyTarget(string Host, int Port, string Authority, string PathAndQuery)
{
    /// <summary>The authority of <c>CONNECT host:port</c>; a port is required.</summary>
    public static ProxyTarget ParseConnect(string target) =>
        TryParseAuthority(target, defaultPort: null, out var host, out var port, out var authority)
            ? new ProxyTarget(host, port, authority, "")
            : throw HttpParser.BadRequest("CONNECT needs host:port, e.g. CONNECT example.com:443");

    /// <summary>An absolute <c>http://</c> URI; anything else is refused with a reason.</summary>
    public static ProxyTarget ParseAbsolute(string target)
    {
        const string Http = "http://";
        if (!target.StartsWith(Http, StringComparison.OrdinalIgnoreCase))
        {
            if (target.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                throw HttpParser.BadRequest("https:// URLs go through a CONNECT tunnel; set HTTPS_PROXY to this proxy");
            }

            throw HttpParser.BadRequest(target.StartsWith('/')
                ? "this is a forward proxy: send an absolute http:// URI, or CONNECT host:port"
                : "unsupported request target: send an absolute http:// URI, or CONNECT host:port");
        }

        var rest = target[Http.Length..];
        var end = rest.IndexOfAny(['/', '?']);
        var authorityText = end < 0 ? rest : rest[..end];
        var path = end < 0 ? "/" : rest[end..];
        if (path.StartsWith('?'))
        {
            path = "/" + path;
        }

        if (authorityText.Contains('@', StringComparison.Ordinal))
        {
            throw HttpParser.BadRequest("user-info in the request URI is not accepted");
        }

        if (!TryParseAuthority(authorityText, defaultPort: 80, out var host, out var port, out _))
        {
            throw HttpParser.BadRequest("the request URI has no valid host and port");
        }

        return new ProxyTarget(host, port, authorityText, path);
    }

    /// <summary><c>host:port</c>, for logs and reasons.</summary>
    public string Display => (Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    private static bool TryParseAuthority(string text, int? defaultPort, out string host, out int port, out string authority)
    {
        host = "";
        authority = text;
        port = 0;
        string portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || !IPAddress.TryParse(text[1..close], out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            host = text[1..close];
            var after = text[(close + 1)..];
            if (after.Length == 0)
            {
                portText = "";
            }
            else if (after[0] == ':')
            {
                portText = after[1..];
            }
            else
            {
                return false;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            host = colon < 0 ? text : text[..colon];
            portText = colon < 0 ? "" : text[(colon + 1)..];
            if (host.Length == 0 || host.Length > 253 || !host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                return false;
            }
        }

        if (portText.Length == 0)
        {
            if (defaultPort is null || text.EndsWith(':'))
            {
                return false;
            }

            port = defaultPort.Value;
            return true;
        }

        return portText.Length <= 5 && portText.All(char.IsAsciiDigit)
            && int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;
    }
}
