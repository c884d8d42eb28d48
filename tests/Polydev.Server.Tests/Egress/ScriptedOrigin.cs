using System.Net;
using System.Net.Sockets;
using System.Text;
using Polydev.Testing;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// A TCP destination on loopback that runs a script per connection: for tunnels (echo,
/// half-close) and for origins that answer in ways Kestrel never would (close-delimited
/// bodies, malformed responses, 100 Continue).
/// </summary>
public sealed class ScriptedOrigin : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<Socket, Task> _script;
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;

    private ScriptedOrigin(Func<Socket, Task> script)
    {
        _script = script;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>What the scripts recorded (each appends what it saw).</summary>
    public List<string> Seen { get; } = [];

    public static ScriptedOrigin Start(Func<Socket, Task> script) => new(script);

    /// <summary>Echoes everything; at the client's end of stream sends "bye" and closes.</summary>
    public static ScriptedOrigin Echo() => Start(async socket =>
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, read));
        }

        await socket.SendAsync("bye"u8.ToArray());
        socket.Shutdown(SocketShutdown.Send);
    });

    /// <summary>Reads one request head (and nothing more).</summary>
    public static async Task<string> ReadHeadAsync(Socket socket)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await socket.ReceiveAsync(one) == 0)
            {
                break;
            }

            head.Add(one[0]);
        }

        return Encoding.Latin1.GetString(head.ToArray());
    }

    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled));
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return buffer[..filled];
    }

    public static async Task SendAsync(Socket socket, string text) => await socket.SendAsync(Encoding.Latin1.GetBytes(text));

    public void Record(string text)
    {
        lock (Seen)
        {
            Seen.Add(text);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _accepting;
        Task[] running;
        lock (_connections)
        {
            running = [.. _connections];
        }

        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10));
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync();
            }
            // Disposal stops the listener at any moment: an accept begun after that says "not listening".
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            lock (_connections)
            {
                _connections.Add(RunAsync(socket));
            }
        }
    }

    private async Task RunAsync(Socket socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _script(socket).WaitAsync(timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}

/// <summary>An HTTPS target for a whole test class.</summary>
public sealed class TargetFixture : IAsyncLifetime
{
    public HttpsTarget Target { get; private set; } = null!;

    public async Task InitializeAsync() => Target = await HttpsTarget.StartAsync();

    public async Task DisposeAsync() => await Target.DisposeAsync();
}
