using System.Diagnostics;
using System.Net.Sockets;
using Polydev.Contracts.Login;

namespace Polydev.Agent.Login;

/// <summary>
/// The fallback when WebRTC cannot connect: x11vnc serves the browser's rectangle of the display on the sandbox's own
/// loopback, and its RFB byte stream travels inside the session channel (<see cref="LoginMessageKind.Screen"/>), sealed
/// like every signal, so the server relays it as blind as the WebRTC path. The viewer's noVNC speaks RFB on its end.
/// </summary>
internal sealed class VncBridge : IAsyncDisposable
{
    private const int Port = 5900;

    private readonly Process _server;
    private readonly TcpClient _socket;
    private readonly NetworkStream _stream;
    private readonly CancellationTokenSource _stop = new();
    private Task _pump = Task.CompletedTask;

    private VncBridge(Process server, TcpClient socket)
    {
        _server = server;
        _socket = socket;
        _stream = socket.GetStream();
    }

    public static async Task<VncBridge> StartAsync(string display, int width, int height, SessionSender sender, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("x11vnc")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "-display", display, "-localhost", "-rfbport", $"{Port}", "-nopw", "-forever", "-shared", "-quiet", "-noxdamage", "-clip", $"{width}x{height}+0+0" })
        {
            start.ArgumentList.Add(argument);
        }

        var server = Process.Start(start) ?? throw new InvalidOperationException("x11vnc could not be started.");
        server.OutputDataReceived += static (_, _) => { };
        server.ErrorDataReceived += static (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        for (int attempt = 0; ; attempt++)
        {
            var socket = new TcpClient { NoDelay = true };
            try
            {
                await socket.ConnectAsync("127.0.0.1", Port, cancellationToken);
                var bridge = new VncBridge(server, socket);
                bridge._pump = bridge.PumpAsync(sender);
                return bridge;
            }
            catch (SocketException) when (attempt < 100 && !server.HasExited)
            {
                socket.Dispose();
                await Task.Delay(50, cancellationToken);
            }
            catch
            {
                socket.Dispose();
                server.Kill(entireProcessTree: true);
                server.Dispose();
                throw;
            }
        }
    }

    /// <summary>RFB bytes from the viewer (its keys, pointer, requests for updates) to x11vnc.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes) => _stream.WriteAsync(bytes, _stop.Token);

    private async Task PumpAsync(SessionSender sender)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await _stream.ReadAsync(buffer, _stop.Token)) > 0)
            {
                await sender.SendAsync(LoginMessageKind.Screen, buffer.AsMemory(0, read));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _pump;
        if (!_server.HasExited)
        {
            _server.Kill(entireProcessTree: true);
        }

        _server.Dispose();
        _stop.Dispose();
    }
}
