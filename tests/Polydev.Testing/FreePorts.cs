using System.Net;
using System.Net.Sockets;

namespace Polydev.Testing;

/// <summary>
/// Blocks of free loopback ports for test servers' egress ranges, so servers running side by
/// side never try to listen on the same port.
/// </summary>
public static class FreePorts
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Handed = [];

    public static int FindBlock(int count)
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var first = Random.Shared.Next(20_000, 30_000);
                var ports = Enumerable.Range(first, count).ToList();
                if (ports.Any(Handed.Contains) || !ports.All(IsFree))
                {
                    continue;
                }

                Handed.UnionWith(ports);
                return first;
            }

            throw new InvalidOperationException($"No block of {count} free loopback ports found.");
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
