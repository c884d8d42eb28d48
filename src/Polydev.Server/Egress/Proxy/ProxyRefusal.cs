using System.Globalization;
using System.Text;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// A request the proxy answers itself, with a status and a short plain-text reason for the
/// client. Reasons never carry tokens, credentials or the upstream URL.
/// </summary>
internal sealed class ProxyRefusal(int status, string reason, string metricReason, bool keepAlive = false) : Exception(reason)
{
    public int Status { get; } = status;

    public string MetricReason { get; } = metricReason;

    /// <summary>Whether the client connection may carry another request after this answer.</summary>
    public bool KeepAlive { get; } = keepAlive;

    public byte[] ToResponse(bool keepAlive) => ProxyResponses.Build(Status, Message, keepAlive && KeepAlive);
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

    /// <summary>A duration in reasons: "10", "0.25".</summary>
    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A complete plain-text response; 407 carries the Basic challenge clients answer with their token.</summary>
    public static byte[] Build(int status, string reason, bool keepAlive)
    {
        var body = reason + "\n";
        var builder = new StringBuilder(256)
            .Append("HTTP/1.1 ").Append(status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Phrase(status)).Append("\r\n");
        if (status == 407)
        {
            builder.Append("Proxy-Authenticate: Basic realm=\"polydev\"\r\n");
        }

        builder
            .Append("Content-Type: text/plain; charset=utf-8\r\n")
            .Append("X-Polydev-Egress-Reason: ").Append(AsciiOnly(reason)).Append("\r\n")
            .Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture)).Append("\r\n")
            .Append(keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n")
            .Append("\r\n")
            .Append(body);
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static string AsciiOnly(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] is < ' ' or > '~')
            {
                chars[i] = '?';
            }
        }

        return new string(chars);
    }
}
