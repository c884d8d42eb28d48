using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// Copies the body of a forwarded request or response as it is framed (<see cref="Framing"/>),
/// in reads of at most <see cref="ProxyConnection.ChunkSize"/>, counting the bytes, starting the
/// idle timeout again and keeping to the user's bandwidth cap.
/// </summary>
internal static class BodyRelay
{
    public static async Task CopyAsync(ProxyConnection connection, SocketReader from, Socket to, Framing framing, bool up, CancellationToken token)
    {
        switch (framing.Kind)
        {
            case FramingKind.None:
                return;
            case FramingKind.Length:
                await CopyExactAsync(connection, from, to, framing.Length, up, token);
                return;
            case FramingKind.Chunked:
                await ChunkedBody.CopyAsync(connection, from, to, up, token);
                return;
            default:
                while (true)
                {
                    if (from.Count == 0 && await from.FillAsync(token, connection.ChunkSize) == 0)
                    {
                        return;
                    }

                    await ForwardBufferedAsync(connection, from, to, Math.Min(from.Count, connection.ChunkSize), up, token);
                }
        }
    }

    public static async Task CopyExactAsync(ProxyConnection connection, SocketReader from, Socket to, long remaining, bool up, CancellationToken token)
    {
        while (remaining > 0)
        {
            if (from.Count == 0 && await from.FillAsync(token, (int)Math.Min(remaining, connection.ChunkSize)) == 0)
            {
                throw new IOException(up ? "The client closed inside a request body." : "The destination closed inside a response body.");
            }

            var count = (int)Math.Min(Math.Min(from.Count, remaining), connection.ChunkSize);
            await ForwardBufferedAsync(connection, from, to, count, up, token);
            remaining -= count;
        }
    }

    public static async ValueTask ForwardBufferedAsync(ProxyConnection connection, SocketReader from, Socket to, int count, bool up, CancellationToken token)
    {
        await connection.Port.User.ThrottleAsync(count, token);
        await to.SendAllAsync(from.Memory[..count], token);
        from.Consume(count);
        connection.Count(up, count);
        connection.Touch();
    }
}
