using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>
/// TCP services on the test host that a sandbox tries to reach: each writes its name as one line to every connection
/// and closes it, so a sandbox that got through says which one it reached. Disposing stops them all.
/// </summary>
public sealed class HostServices : IAsyncDisposable
{
    private readonly List<TcpListener> _listeners = [];
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Listens on <paramref name="address"/>:<paramref name="port"/> (0: any free port); returns the port.</summary>
    public int Listen(IPAddress address, int port, string name)
    {
        var listener = new TcpListener(address, port);
        listener.Start();
        _listeners.Add(listener);
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var client = await listener.AcceptTcpClientAsync(_stop.Token);
                    await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(name + "\n"), _stop.Token);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception)
                {
                }
            }
        });
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A port in [first, last] free on every address of this host now.</summary>
    public static int FreePort(int first, int last)
    {
        while (true)
        {
            var port = first + Random.Shared.Next(last - first + 1);
            try
            {
                using var probe = new TcpListener(IPAddress.Any, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }
    }

    /// <summary>The host's own IPv4 addresses, loopback excluded: its interfaces, bridges included.</summary>
    public static IReadOnlyList<IPAddress> HostAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            .Distinct()
            .ToList();

    /// <summary>The line a service sends, read from the test host (a control: the service is up and reachable from outside a sandbox).</summary>
    public static async Task<string?> ReadLineFromHostAsync(IPEndPoint endpoint)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint, cancel.Token);
        using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
        return await reader.ReadLineAsync(cancel.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }

        _stop.Dispose();
    }
}
