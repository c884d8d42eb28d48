using System.Globalization;
using System.Text;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// A request the proxy answers itself. <see cref="Exception.Message"/> says exactly why, for the exchange's log line
/// (never tokens, credentials or the upstream URL); the client gets only <see cref="ProxyResponses.Build"/>'s answer
/// for the status, the same bytes whatever the reason, so a refusal tells nobody what a name resolves to, whether a
/// token exists, or which step of reaching a destination failed.
/// </summary>
internal sealed class ProxyRefusal(int status, string reason, string metricReason, bool keepAlive = false) : Exception(reason)
{
    public int Status { get; } = status;

    public string MetricReason { get; } = metricReason;

    /// <summary>Whether the client connection may carry another request after this answer.</summary>
    public bool KeepAlive { get; } = keepAlive;

    public byte[] ToResponse(bool keepAlive) => ProxyResponses.Build(Status, keepAlive && KeepAlive);
}

internal static class ProxyResponses
{
    public static readonly byte[] ConnectionEstablished = "HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray();

    public static string Phrase(int status) => status switch
    {
        400 => "Bad Request",
        403 => "Forbidden",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };

    /// <summary>
    /// What the client is told, one text per status. 407 is the same for a missing, malformed, unknown, expired,
    /// revoked or other port's token; 403 the same for every blocked destination, named or literal; 502 the same for a
    /// name that does not resolve, a refused or timed-out connect, and an upstream that fails.
    /// </summary>
    public static string PublicReason(int status) => status switch
    {
        400 => "the request is malformed",
        403 => "the destination is not allowed: direct egress reaches only public addresses (Egress:AllowedDestinations)",
        407 => "proxy authentication required: send Proxy-Authorization with this port's egress token (Basic with the token as password, or Bearer)",
        408 => "the request headers did not arrive in time",
        429 => "this port has as many open connections as it may (Egress:MaxTunnelsPerUser); close some and retry",
        431 => "the request line and headers are too large",
        501 => "this proxy does not implement that",
        502 => "the destination could not be reached",
        503 => "the proxy cannot serve this request now; try again",
        505 => "only HTTP/1.1 and HTTP/1.0 are spoken here",
        _ => "the request was refused",
    };

    /// <summary>A duration in reasons: "10", "0.25".</summary>
    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A complete plain-text response; 407 carries the Basic challenge clients answer with their token.</summary>
    public static byte[] Build(int status, bool keepAlive)
    {
        var body = PublicReason(status) + "\n";
        var builder = new StringBuilder(256)
            .Append("HTTP/1.1 ").Append(status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Phrase(status)).Append("\r\n");
        if (status == 407)
        {
            builder.Append("Proxy-Authenticate: Basic realm=\"polydev\"\r\n");
        }

        builder
            .Append("Content-Type: text/plain; charset=utf-8\r\n")
            .Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture)).Append("\r\n")
            .Append(keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n")
            .Append("\r\n")
            .Append(body);
        return Encoding.UTF8.GetBytes(builder.ToString());
    }
}
