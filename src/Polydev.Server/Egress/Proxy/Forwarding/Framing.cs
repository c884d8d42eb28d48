namespace Polydev.Server.Egress.Proxy;

internal enum FramingKind
{
    /// <summary>No body.</summary>
    None,

    /// <summary><c>Content-Length</c> bytes.</summary>
    Length,

    /// <summary><c>Transfer-Encoding: chunked</c>, relayed as it is (<see cref="ChunkedBody"/>).</summary>
    Chunked,

    /// <summary>Until the sender closes (a response without length or chunking): the connection is not reused.</summary>
    UntilClose,
}

/// <summary>How a message body is delimited (RFC 9112 6), decided from its head.</summary>
internal readonly record struct Framing(FramingKind Kind, long Length)
{
    /// <summary>A request's body: chunked or Content-Length only; both, or another coding, is refused (smuggling).</summary>
    public static Framing ForRequest(RequestHead head)
    {
        var transferEncodings = head.Headers.CountOf("Transfer-Encoding");
        var length = HttpParser.ContentLength(head.Headers);
        if (transferEncodings > 0)
        {
            if (length is not null)
            {
                throw HttpParser.BadRequest("a request may not carry both Transfer-Encoding and Content-Length");
            }

            if (transferEncodings > 1 || !head.Headers.Get("Transfer-Encoding")!.Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase))
            {
                throw new ProxyRefusal(501, "request Transfer-Encoding other than chunked is not supported", EgressMetrics.RefusalReasons.BadRequest);
            }

            return new Framing(FramingKind.Chunked, 0);
        }

        return length switch
        {
            null or 0 => new Framing(FramingKind.None, 0),
            < 0 => throw HttpParser.BadRequest("invalid Content-Length"),
            _ => new Framing(FramingKind.Length, length.Value),
        };
    }

    /// <summary>RFC 9112 6.3; null for an invalid Content-Length.</summary>
    public static Framing? ForResponse(RequestHead request, ResponseHead response)
    {
        if (request.Method == "HEAD" || response.Status is 204 or 304 || response.Status < 200)
        {
            return new Framing(FramingKind.None, 0);
        }

        if (response.Headers.CountOf("Transfer-Encoding") > 0)
        {
            var codings = string.Join(',', response.Headers.Where(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value));
            var last = codings.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
            return new Framing(string.Equals(last, "chunked", StringComparison.OrdinalIgnoreCase) ? FramingKind.Chunked : FramingKind.UntilClose, 0);
        }

        return HttpParser.ContentLength(response.Headers) switch
        {
            null => new Framing(FramingKind.UntilClose, 0),
            < 0 => null,
            0 => new Framing(FramingKind.None, 0),
            var length => new Framing(FramingKind.Length, length.Value),
        };
    }
}
