using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Egress.Gateway;

/// <summary>
/// The relay of a cluster node's egress gateway: the node's firewall redirects every sandbox connection to the egress
/// port range onto <see cref="EgressGatewayOptions.RelayPort"/>; the relay reads the port the sandbox asked for
/// (<c>SO_ORIGINAL_DST</c>), connects to the server's proxy on that same port, sends a PROXY v2 header naming the
/// sandbox's address (so the proxy binds tokens to sandboxes, as on one host), then copies bytes both ways. It reads
/// nothing of the traffic: the proxy authenticates, filters and accounts it.
/// </summary>
public sealed class EgressGatewayRelay : IAsyncDisposable
{
    private const int SolIp = 0;
    private const int SoOriginalDst = 80;

    private readonly EgressGatewayOptions _options;
    private readonly (int First, int Last) _range;
    private readonly EgressGatewayMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private Task _accepting = Task.CompletedTask;

    public EgressGatewayRelay(EgressGatewayOptions options, IPAddress listenAddress, (int First, int Last) range, EgressGatewayMetrics metrics, ILogger logger)
    {
        options.Validate();
        _options = options;
        _range = range;
        _metrics = metrics;
        _logger = logger;
        _listener = new Socket(listenAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(new IPEndPoint(listenAddress, options.RelayPort));
    }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    public void Start()
    {
        _listener.Listen(512);
        _accepting = Task.Run(AcceptAsync);
        EgressGatewayLog.Started(_logger, LocalEndPoint.ToString()!, _range.First, _range.Last, _options.Upstream);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && _stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var _ = client;
        var sandbox = (IPEndPoint)client.RemoteEndPoint!;
        if (OriginalDestination(client) is not { } asked || asked.Port < _range.First || asked.Port > _range.Last)
        {
            // Not redirected here by the node's rule: nothing a sandbox was meant to reach.
            _metrics.Connections.WithLabels(EgressGatewayMetrics.Outcomes.NotRedirected).Inc();
            return;
        }

        using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            connect.CancelAfter(_options.ConnectTimeout);
            await upstream.ConnectAsync(_options.Upstream, asked.Port, connect.Token);
            await upstream.SendAsync(ProxyProtocolHeader.Write(sandbox, asked), _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            _metrics.Connections.WithLabels(EgressGatewayMetrics.Outcomes.UpstreamUnreachable).Inc();
            EgressGatewayLog.UpstreamUnreachable(_logger, _options.Upstream, asked.Port, e.Message);
            return;
        }

        _metrics.Connections.WithLabels(EgressGatewayMetrics.Outcomes.Relayed).Inc();
        _metrics.Active.Inc();
        try
        {
            client.NoDelay = true;
            await Task.WhenAll(
                CopyAsync(client, upstream, EgressGatewayMetrics.Directions.ToServer),
                CopyAsync(upstream, client, EgressGatewayMetrics.Directions.ToSandbox));
        }
        finally
        {
            _metrics.Active.Dec();
        }
    }

    /// <summary>Copies until the source ends, then half-closes the destination so the other direction can finish.</summary>
    private async Task CopyAsync(Socket from, Socket to, string direction)
    {
        var buffer = new byte[32 * 1024];
        var bytes = _metrics.Bytes.WithLabels(direction);
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, _stop.Token)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), _stop.Token);
                bytes.Inc(read);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side went away: cut both.
            from.Close();
            to.Close();
        }
    }

    /// <summary>Where the sandbox connected before the node's NAT rule redirected it here (Linux <c>SO_ORIGINAL_DST</c>).</summary>
    private static IPEndPoint? OriginalDestination(Socket socket)
    {
        Span<byte> address = stackalloc byte[16];
        try
        {
            if (socket.GetRawSocketOption(SolIp, SoOriginalDst, address) < 8)
            {
                return null;
            }
        }
        catch (SocketException)
        {
            return null;
        }

        var port = BinaryPrimitives.ReadUInt16BigEndian(address[2..]);
        return new IPEndPoint(new IPAddress(address.Slice(4, 4)), port);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        _stop.Dispose();
    }
}
