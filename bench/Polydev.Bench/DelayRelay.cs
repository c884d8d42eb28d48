using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Polydev.Bench;

/// <summary>
/// A userspace stand-in for <c>tc netem</c>'s delay, which this machine's kernel lacks (CONFIG_NET_SCH_NETEM is off):
/// it listens on the veth's host address and forwards to a loopback target, holding everything for
/// <see cref="OneWay"/> in each direction. UDP datagrams (TURN) and TCP streams (HTTP, the WebSocket) both; loss is
/// real packet loss on the veth (<see cref="NetemNamespace"/>), so TCP retransmits as it would on a lossy link.
/// </summary>
internal sealed class DelayRelay : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly List<IDisposable> _sockets = [];

    public TimeSpan OneWay { get; set; }

    public static DelayRelay Start(IPEndPoint listen, IPEndPoint target, bool udp, bool tcp)
    {
        var relay = new DelayRelay();
        if (udp)
        {
            var socket = new UdpClient(listen);
            relay._sockets.Add(socket);
            relay._loops.Add(relay.UdpAsync(socket, target));
        }

        if (tcp)
        {
            var listener = new TcpListener(listen);
            listener.Start();
            relay._sockets.Add(listener);
            relay._loops.Add(relay.TcpAsync(listener, target));
        }

        return relay;
    }

    private async Task UdpAsync(UdpClient front, IPEndPoint target)
    {
        var peers = new Dictionary<IPEndPoint, UdpClient>();
        try
        {
            while (true)
            {
                var datagram = await front.ReceiveAsync(_stop.Token);
                if (!peers.TryGetValue(datagram.RemoteEndPoint, out var back))
                {
                    back = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
                    peers[datagram.RemoteEndPoint] = back;
                    _sockets.Add(back);
                    var client = datagram.RemoteEndPoint;
                    _loops.Add(Task.Run(async () =>
                    {
                        while (!_stop.IsCancellationRequested)
                        {
                            var answer = await back.ReceiveAsync(_stop.Token);
                            Later(() => front.SendAsync(answer.Buffer, client));
                        }
                    }));
                }

                Later(() => back.SendAsync(datagram.Buffer, target));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task TcpAsync(TcpListener listener, IPEndPoint target)
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient { NoDelay = true };
                await server.ConnectAsync(target, _stop.Token);
                client.NoDelay = true;
                _sockets.Add(client);
                _sockets.Add(server);
                _loops.Add(PumpAsync(client.GetStream(), server.GetStream()));
                _loops.Add(PumpAsync(server.GetStream(), client.GetStream()));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>Reads as it comes and writes each piece <see cref="OneWay"/> later, in order.</summary>
    private async Task PumpAsync(Stream from, Stream to)
    {
        var queue = Channel.CreateUnbounded<(long Due, byte[] Bytes)>();
        var writer = Task.Run(async () =>
        {
            try
            {
                await foreach (var (due, bytes) in queue.Reader.ReadAllAsync(_stop.Token))
                {
                    var wait = TimeSpan.FromTicks(due - DateTime.UtcNow.Ticks);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, _stop.Token);
                    }

                    await to.WriteAsync(bytes, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
            finally
            {
                to.Close();
            }
        });
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                queue.Writer.TryWrite((DateTime.UtcNow.Ticks + OneWay.Ticks, buffer[..read]));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            queue.Writer.TryComplete();
        }

        await writer;
    }

    private void Later(Func<ValueTask<int>> send)
    {
        if (OneWay <= TimeSpan.Zero)
        {
            _ = send();
            return;
        }

        _ = Task.Delay(OneWay, _stop.Token).ContinueWith(async _ =>
        {
            try
            {
                await send();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
            }
        }, TaskContinuationOptions.OnlyOnRanToCompletion);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_loops.Select(l => l.ContinueWith(_ => { }, TaskScheduler.Default)));
    }
}
