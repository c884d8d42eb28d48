using System.Globalization;
using System.Text;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// The heads the proxy sends on for an absolute-URI request: the request in origin form (or
/// absolute form with Polydev's credentials toward the upstream), the response toward the
/// client; hop-by-hop fields and those a <c>Connection</c> option names are dropped.
/// </summary>
internal static class ForwardedHeads
{
    /// <summary>Fields that concern one connection only and are never forwarded (RFC 9110 7.6.1), plus the proxy's own.</summary>
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authorization", "Proxy-Authenticate", "Proxy-Connection", "TE", "Trailer", "Upgrade",
    };

    /// <summary>A <c>Connection</c> option never removes these: the body would go on unframed (request smuggling).</summary>
    private static readonly HashSet<string> NeverOptional = new(StringComparer.OrdinalIgnoreCase) { "Content-Length", "Transfer-Encoding", "Host" };

    public static byte[] Request(RequestHead head, ProxyTarget target, UpstreamEndpoint? upstream)
    {
        var builder = new StringBuilder(512).Append(head.Method).Append(' ');
        if (upstream is not null)
        {
            builder.Append("http://").Append(target.Authority);
        }

        builder.Append(target.PathAndQuery).Append(head.Http11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
        builder.Append("Host: ").Append(target.Authority).Append("\r\n");
        AppendEndToEnd(builder, head.Headers, skipHost: true);
        if (upstream?.ProxyAuthorization is { } authorization)
        {
            builder.Append("Proxy-Authorization: ").Append(authorization).Append("\r\n");
        }

        return Encoding.Latin1.GetBytes(builder.Append("\r\n").ToString());
    }

    public static byte[] Response(ResponseHead response, bool close)
    {
        var builder = new StringBuilder(512)
            .Append("HTTP/1.1 ").Append(response.Status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(response.Reason).Append("\r\n");
        AppendEndToEnd(builder, response.Headers, skipHost: false);
        if (close)
        {
            builder.Append("Connection: close\r\n");
        }

        return Encoding.Latin1.GetBytes(builder.Append("\r\n").ToString());
    }

    private static void AppendEndToEnd(StringBuilder builder, HttpHeaders headers, bool skipHost)
    {
        var optional = headers.ConnectionOptions();
        optional.ExceptWith(NeverOptional);
        foreach (var (name, value) in headers)
        {
            if (HopByHop.Contains(name) || optional.Contains(name) || (skipHost && name.Equals("Host", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            builder.Append(name).Append(": ").Append(value).Append("\r\n");
        }
    }
}
