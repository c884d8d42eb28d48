using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Polydev.Testing;

/// <summary>
/// A real coturn (Debian's <c>turnserver</c>) run by a test from a given turnserver.conf, written 0600 into a temp
/// directory, until disposed. It must listen on 127.0.0.1 at <c>port</c> (TCP) within 15 s, else this throws with its
/// output. scripts/test installs coturn; without it this throws (tests fail, they do not skip).
/// </summary>
public sealed class Coturn : IAsyncDisposable
{
    public const string Binary = "/usr/bin/turnserver";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private Coturn(Process process, string directory, int port)
    {
        _process = process;
        Directory = directory;
        Endpoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    public string Directory { get; }

    public IPEndPoint Endpoint { get; }

    public int ProcessId => _process.Id;

    /// <summary>What coturn printed so far (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<Coturn> StartAsync(string config, int port)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"coturn is not installed ({Binary} missing). Run the tests through scripts/test, which installs it, or: apt-get install coturn");
        }

        var directory = System.IO.Directory.CreateTempSubdirectory("polydev-coturn-").FullName;
        var file = Path.Combine(directory, "turnserver.conf");
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("coturn runs on Linux");
        }

        // Like the server's own: 0600 from creation, it holds the secret.
        await using (var stream = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(config + $"\npidfile={directory}/turnserver.pid\nuserdb={directory}/turndb\n");
        }

        var start = new ProcessStartInfo(Binary) { ArgumentList = { "-c", file }, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var process = Process.Start(start) ?? throw new InvalidOperationException("turnserver did not start");
        var coturn = new Coturn(process, directory, port);
        process.OutputDataReceived += (_, e) => coturn.Append(e.Data);
        process.ErrorDataReceived += (_, e) => coturn.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (!await AcceptsAsync(coturn.Endpoint))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(15))
            {
                await coturn.DisposeAsync();
                throw new InvalidOperationException($"coturn did not listen on {coturn.Endpoint} (exited: {process.HasExited}):\n{coturn.Output}");
            }

            await Task.Delay(50);
        }

        return coturn;
    }

    /// <summary>True once a TCP connection to <paramref name="endpoint"/> opens.</summary>
    public static async Task<bool> AcceptsAsync(IPEndPoint endpoint)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await socket.ConnectAsync(endpoint, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
