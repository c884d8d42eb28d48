using System.Net.Sockets;
using System.Text;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>Starting an exec with its connection taken over, not through HttpClient: closing stdin needs a half-close of the socket.</summary>
internal static class DockerExecHijack
{
    /// <summary>
    /// <c>POST /exec/{id}/start</c> with the connection hijacked (<c>Upgrade: tcp</c>): returns the raw
    /// socket, stdin one way and the multiplexed stdout/stderr frames the other, plus any bytes of the
    /// stream already read with the answer's head. Not through HttpClient: closing stdin needs a
    /// half-close of the socket.
    /// </summary>
    public static async Task<(Socket Socket, byte[] Leftover)> StartAsync(string socketPath, string execId, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            var body = "{\"Detach\":false,\"Tty\":false}";
            var request =
                $"POST /{DockerClient.ApiVersion}/exec/{Uri.EscapeDataString(execId)}/start HTTP/1.1\r\n" +
                "Host: docker\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n" +
                $"Content-Length: {body.Length}\r\n\r\n{body}";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancellationToken);

            var buffer = new byte[16 * 1024];
            var filled = 0;
            int headEnd;
            while ((headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (filled == buffer.Length)
                {
                    throw new SandboxEngineException(DockerClient.Engine, "exec start", 502, "answer head too large");
                }

                var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    throw new SandboxEngineException(DockerClient.Engine, "exec start", 502, "daemon closed the connection before answering");
                }

                filled += read;
            }

            var head = Encoding.ASCII.GetString(buffer, 0, headEnd);
            var statusLine = head.Split("\r\n")[0].Split(' ', 3);
            var status = statusLine.Length >= 2 && int.TryParse(statusLine[1], out var s) ? s : 502;
            var leftover = buffer.AsSpan(headEnd + 4, filled - headEnd - 4).ToArray();
            if (status is 101 or 200)
            {
                return (socket, leftover);
            }

            // An error answer: its (small) body holds the daemon's message.
            using var rest = new MemoryStream();
            rest.Write(leftover);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                int read;
                while (rest.Length < 64 * 1024 && (read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
                {
                    rest.Write(buffer, 0, read);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            throw new SandboxEngineException(DockerClient.Engine, "exec start", status, DockerClient.DaemonMessage(Encoding.UTF8.GetString(rest.ToArray())));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
