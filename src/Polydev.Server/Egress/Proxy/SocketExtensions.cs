using System.Net.Sockets;

namespace Polydev.Server.Egress.Proxy;

internal static class SocketExtensions
{
    /// <summary>Sends all of <paramref name="data"/>, however many sends it takes.</summary>
    public static async ValueTask SendAllAsync(this Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }
}
