using System.Net;
using System.Net.Sockets;

namespace Polydev.Testing.Monitoring;

/// <summary>A loopback TCP port the kernel had free a moment ago, for a monitoring tool to listen on.</summary>
internal static class LoopbackPort
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
