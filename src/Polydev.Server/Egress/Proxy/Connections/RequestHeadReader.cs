using System.Globalization;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// Reads the next request head from a client connection within
/// <see cref="EgressOptions.MaxRequestHeaderBytes"/>, refusing bare line feeds as soon as they
/// arrive; the headers timeout starts with a request's first byte.
/// </summary>
internal static class RequestHeadReader
{
    /// <summary>The next request head, or null when the client closed cleanly between requests.</summary>
    public static async Task<RequestHead?> ReadAsync(ProxyConnection connection, bool first, CancellationToken token)
    {
        var options = connection.Context.Options;
        var reader = connection.Reader;
        var max = options.MaxRequestHeaderBytes;
        var scanned = 0;
        connection.HeadBytesSeen = false;
        while (true)
        {
            // RFC 9112 2.2: empty lines before a request line are ignored.
            while (reader.Count >= 2 && reader.Span[0] == (byte)'\r' && reader.Span[1] == (byte)'\n')
            {
                reader.Consume(2);
                scanned = 0;
            }

            if (reader.Count > 0)
            {
                if (!connection.HeadBytesSeen)
                {
                    connection.HeadBytesSeen = true;
                    if (!first)
                    {
                        connection.SetDeadline(options.RequestHeadersTimeout, AbortReasons.HeadersTimeout);
                    }
                }

                var end = HttpParser.FindHeadEnd(reader.Span, scanned);
                if (end > max || (end < 0 && reader.Count >= max))
                {
                    throw new ProxyRefusal(431, $"request line and headers exceed {max.ToString(CultureInfo.InvariantCulture)} bytes", EgressMetrics.RefusalReasons.BadRequest);
                }

                if (HttpParser.HasBareLineFeed(reader.Span, scanned))
                {
                    throw HttpParser.BadRequest("malformed request line or header: lines must end with CRLF");
                }

                if (end > 0)
                {
                    var head = HttpParser.ParseRequest(reader.Span[..end]);
                    reader.Consume(end);
                    return head;
                }

                scanned = reader.Count;
            }
            else
            {
                reader.ReleaseIfEmpty();
            }

            var read = await reader.FillAsync(token, max + 1 - reader.Count);
            if (read == 0)
            {
                if (reader.Count > 0 && connection.HeadBytesSeen)
                {
                    ProxyLog.Dropped(connection.Context.Logger, connection.Port.Port, "closed in the middle of a request head");
                }

                return null;
            }
        }
    }
}
