using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// A <c>Transfer-Encoding: chunked</c> body, relayed as it is while its framing is checked, so a
/// malformed body is refused rather than passed on for the next parser to read differently.
/// </summary>
internal static class ChunkedBody
{
    private const int MaxChunkLine = 4096;
    private const int MaxTrailerBytes = 32 * 1024;

    /// <summary>Relays a chunked body as it is, checking its framing: chunk-size lines, data, CRLFs, last chunk, trailers.</summary>
    public static async Task CopyAsync(ProxyConnection connection, SocketReader from, Socket to, bool up, CancellationToken token)
    {
        while (true)
        {
            var line = await ReadLineAsync(from, MaxChunkLine, up, token);
            var size = ChunkSize(from.Span[..(line - 2)]) ?? throw MalformedChunks(up);
            await BodyRelay.ForwardBufferedAsync(connection, from, to, line, up, token);
            if (size == 0)
            {
                var trailers = 0;
                while (true)
                {
                    line = await ReadLineAsync(from, MaxChunkLine, up, token);
                    trailers += line;
                    if (trailers > MaxTrailerBytes)
                    {
                        throw MalformedChunks(up);
                    }

                    await BodyRelay.ForwardBufferedAsync(connection, from, to, line, up, token);
                    if (line == 2)
                    {
                        return;
                    }
                }
            }

            await BodyRelay.CopyExactAsync(connection, from, to, size, up, token);
            if (await ReadLineAsync(from, 2, up, token) != 2)
            {
                throw MalformedChunks(up);
            }

            await BodyRelay.ForwardBufferedAsync(connection, from, to, 2, up, token);
        }
    }

    private static long? ChunkSize(ReadOnlySpan<byte> line)
    {
        var end = line.IndexOfAny((byte)';', (byte)' ', (byte)'\t');
        var digits = end < 0 ? line : line[..end];
        if (digits.IsEmpty || digits.Length > 15)
        {
            return null;
        }

        long size = 0;
        foreach (var b in digits)
        {
            var value = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => -1,
            };
            if (value < 0)
            {
                return null;
            }

            size = (size * 16) + value;
        }

        return size;
    }

    /// <summary>Length of the next CRLF-terminated line in <paramref name="from"/>'s buffer, reading more as needed.</summary>
    private static async ValueTask<int> ReadLineAsync(SocketReader from, int max, bool up, CancellationToken token)
    {
        var scanned = 0;
        while (true)
        {
            var newline = from.Span[scanned..].IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var length = scanned + newline + 1;
                if (length < 2 || from.Span[length - 2] != (byte)'\r' || length > max)
                {
                    throw MalformedChunks(up);
                }

                return length;
            }

            scanned = from.Count;
            if (scanned >= max)
            {
                throw MalformedChunks(up);
            }

            if (await from.FillAsync(token) == 0)
            {
                throw new IOException(up ? "The client closed inside a chunked request body." : "The destination closed inside a chunked response body.");
            }
        }
    }

    private static ProxyRefusal MalformedChunks(bool up) => up
        ? HttpParser.BadRequest("malformed chunked request body")
        : new ProxyRefusal(502, "the destination sent a malformed chunked body", EgressMetrics.RefusalReasons.Unreachable);
}
