using System.Net.Sockets;
using System.Text;

namespace Polydev.Agent;

/// <summary>
/// Asks the egress proxy itself whether it opens a tunnel to the provider, when the CLI reported only that it could
/// not connect: the proxy's answer to the agent's own <c>CONNECT</c> (with the job's proxy credentials) tells a refused
/// egress token or destination (407, 403) from a provider the egress cannot reach (502, 503, 504). Without a proxy,
/// a direct TCP connection is tried.
/// </summary>
internal static class TunnelProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The outcome: the proxy's status (200 = the tunnel opens), or null when the proxy itself (or, without one, the target) cannot be reached.</summary>
    public static async Task<int?> StatusAsync(Uri? proxy, string targetHost, int targetPort, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        using var client = new TcpClient();
        try
        {
            if (proxy is null)
            {
                await client.ConnectAsync(targetHost, targetPort, timeout.Token);
                return 200;
            }

            await client.ConnectAsync(proxy.Host, proxy.Port, timeout.Token);
            NetworkStream stream = client.GetStream();
            var request = new StringBuilder($"CONNECT {targetHost}:{targetPort} HTTP/1.1\r\nHost: {targetHost}:{targetPort}\r\n");
            if (proxy.UserInfo is { Length: > 0 } userInfo)
            {
                request.Append("Proxy-Authorization: Basic ").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(userInfo)))).Append("\r\n");
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()), timeout.Token);
            var buffer = new byte[512];
            int read = await stream.ReadAsync(buffer, timeout.Token);
            // "HTTP/1.1 407 Proxy Authentication Required"
            string line = Encoding.ASCII.GetString(buffer, 0, read);
            return line.StartsWith("HTTP/", StringComparison.Ordinal) && line.Length >= 12 && int.TryParse(line.AsSpan(9, 3), out int status) ? status : null;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
