namespace Polydev.Server.Egress.Proxy;

/// <summary>Reads the head of a response from a destination or the upstream proxy into a <see cref="SocketReader"/>.</summary>
internal static class ResponseHeadReader
{
    /// <summary>Reads a response head: its length, 0 at end of stream before one, -1 when it exceeds <paramref name="limit"/>.</summary>
    public static async ValueTask<int> ReadAsync(SocketReader reader, int limit, CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            if (reader.Count > 0)
            {
                var end = HttpParser.FindHeadEnd(reader.Span, scanned);
                if (end > 0)
                {
                    return end <= limit ? end : -1;
                }

                if (reader.Count >= limit || reader.IsFull)
                {
                    return -1;
                }

                scanned = reader.Count;
            }

            if (await reader.FillAsync(cancellationToken) == 0)
            {
                return 0;
            }
        }
    }
}
