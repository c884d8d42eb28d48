using System.Buffers;
using System.Globalization;
using System.Text;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// Strict HTTP/1.x head parsing (RFC 9112): CRLF line endings only, no obsolete line folding, no
/// whitespace before a colon, token field names, no control characters in values. What is
/// ambiguous to one parser and not another is how requests are smuggled, so it is refused.
/// </summary>
internal static class HttpParser
{
    public const int MaxHeaderFields = 256;

    private static readonly SearchValues<byte> TokenChars = SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>Length of the head including its blank line, or -1 when it is not complete yet.</summary>
    public static int FindHeadEnd(ReadOnlySpan<byte> buffer, int searchFrom)
    {
        var start = Math.Max(0, searchFrom - 3);
        var index = buffer[start..].IndexOf(HeadEnd);
        return index < 0 ? -1 : start + index + HeadEnd.Length;
    }

    /// <summary>True when a LF without its CR appears at or after <paramref name="from"/> (caught early, not at the timeout).</summary>
    public static bool HasBareLineFeed(ReadOnlySpan<byte> buffer, int from)
    {
        for (var i = Math.Max(from, 0); i < buffer.Length; i++)
        {
            var next = buffer[i..].IndexOf((byte)'\n');
            if (next < 0)
            {
                return false;
            }

            i += next;
            if (i == 0 || buffer[i - 1] != (byte)'\r')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses a request head ending in CRLF CRLF; a malformed one is a 400 (or 505).</summary>
    public static RequestHead ParseRequest(ReadOnlySpan<byte> head)
    {
        var lineEnd = NextLine(head, out var line) ?? throw BadRequest("malformed request line");
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1)
        {
            throw BadRequest("malformed request line");
        }

        var method = line[..firstSpace];
        var target = line[(firstSpace + 1)..lastSpace];
        var version = line[(lastSpace + 1)..];
        if (method.IndexOfAnyExcept(TokenChars) >= 0 || target.IndexOfAnyInRange((byte)0, (byte)' ') >= 0 || target.Contains((byte)0x7f))
        {
            throw BadRequest("malformed request line");
        }

        bool http11;
        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            http11 = true;
        }
        else if (version.SequenceEqual("HTTP/1.0"u8))
        {
            http11 = false;
        }
        else if (version.StartsWith("HTTP/"u8))
        {
            throw new ProxyRefusal(505, "only HTTP/1.1 and HTTP/1.0 are spoken here", EgressMetrics.RefusalReasons.BadRequest);
        }
        else
        {
            throw BadRequest("malformed request line");
        }

        var headers = ParseFields(head[lineEnd..]) ?? throw BadRequest("malformed header field");
        return new RequestHead(Latin1(method), Latin1(target), http11, headers);
    }

    /// <summary>Parses a response head ending in CRLF CRLF; null when it is malformed.</summary>
    public static ResponseHead? ParseResponse(ReadOnlySpan<byte> head)
    {
        if (NextLine(head, out var line) is not { } lineEnd || line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[8] != (byte)' ')
        {
            return null;
        }

        var http11 = line[7] == (byte)'1';
        if (!(http11 || line[7] == (byte)'0')
            || !int.TryParse(line.Slice(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status < 100
            || (line.Length > 12 && line[12] != (byte)' '))
        {
            return null;
        }

        var reason = line.Length > 13 ? Latin1(line[13..]) : "";
        var headers = ParseFields(head[lineEnd..]);
        return headers is null ? null : new ResponseHead(status, reason, http11, headers);
    }

    /// <summary>Value of a <c>Content-Length</c> set: null when absent, -1 when invalid or conflicting.</summary>
    public static long? ContentLength(HttpHeaders headers)
    {
        long? length = null;
        foreach (var (key, value) in headers)
        {
            if (!key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
            {
                if (part.Length == 0 || part.Length > 18 || !part.All(char.IsAsciiDigit))
                {
                    return -1;
                }

                var parsed = long.Parse(part, CultureInfo.InvariantCulture);
                if (length is not null && length != parsed)
                {
                    return -1;
                }

                length = parsed;
            }
        }

        return length;
    }

    public static ProxyRefusal BadRequest(string reason) => new(400, reason, EgressMetrics.RefusalReasons.BadRequest);

    private static HttpHeaders? ParseFields(ReadOnlySpan<byte> rest)
    {
        var headers = new HttpHeaders();
        while (true)
        {
            if (NextLine(rest, out var line) is not { } lineEnd)
            {
                return null;
            }

            rest = rest[lineEnd..];
            if (line.IsEmpty)
            {
                return headers;
            }

            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[..colon].IndexOfAnyExcept(TokenChars) >= 0 || headers.Count >= MaxHeaderFields)
            {
                return null;
            }

            var value = line[(colon + 1)..].Trim(" \t"u8);
            foreach (var b in value)
            {
                if ((b < 0x20 && b != (byte)'\t') || b == 0x7f)
                {
                    return null;
                }
            }

            headers.Add(new(Latin1(line[..colon]), Latin1(value)));
        }
    }

    // The next CRLF-terminated line (without the CRLF) and the offset after it; null for a bare CR or LF.
    private static int? NextLine(ReadOnlySpan<byte> text, out ReadOnlySpan<byte> line)
    {
        line = default;
        var lf = text.IndexOf((byte)'\n');
        if (lf < 1 || text[lf - 1] != (byte)'\r')
        {
            return null;
        }

        line = text[..(lf - 1)];
        return line.Contains((byte)'\r') ? null : lf + 1;
    }

    private static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
}
