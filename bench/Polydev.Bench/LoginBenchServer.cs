using System.Diagnostics;
using System.Globalization;

namespace Polydev.Bench;

/// <summary>
/// The real <c>polydev server</c> (src/Polydev's Release build) as a process for the login benchmark: the Docker engine
/// with a warm login pool, the embedded coturn, the built web client, listening where viewers inside a network
/// namespace reach it too. Its logs go to a file the bench names when something fails.
/// </summary>
internal sealed class LoginBenchServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _data;

    private LoginBenchServer(Process process, string data, int port, int turnPort, string logPath)
    {
        _process = process;
        _data = data;
        Port = port;
        TurnPort = turnPort;
        LogPath = logPath;
    }

    /// <summary>The server on loopback; viewers elsewhere reach <see cref="Port"/> through a relay on the veth.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    public int Port { get; }

    public int TurnPort { get; }

    public string LogPath { get; }

    /// <param name="host">The address viewers are told for TURN (the host side of the bench's veth pair, where a relay forwards to coturn on loopback).</param>
    public static async Task<LoginBenchServer> StartAsync(string host, int warmTarget)
    {
        var dll = Path.Combine(Repository.Root, "src", "Polydev", "bin", "Release", "net10.0", "polydev.dll");
        var web = Path.Combine(Repository.Root, "web", "dist");
        if (!File.Exists(dll) || !Directory.Exists(web))
        {
            throw new InvalidOperationException("src/Polydev's Release build and web/dist are needed: scripts/bench --only login builds them.");
        }

        int port = FreeTcpPort();
        int turnPort = FreeTcpPort();
        var data = Directory.CreateTempSubdirectory("polydev-bench-login-").FullName;
        var logPath = Path.Combine(Path.GetTempPath(), $"polydev-bench-login-server-{DateTime.UtcNow:yyyyMMddHHmmss}.log");
        var info = new ProcessStartInfo("dotnet") { ArgumentList = { dll, "server", "--urls", $"http://127.0.0.1:{port}", "--data", data } };
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("POLYDEV_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        var settings = new Dictionary<string, string>
        {
            ["POLYDEV_WEB__ROOT"] = web,
            ["POLYDEV_SANDBOXES__ENGINE"] = "docker",
            ["POLYDEV_SANDBOXES__DOCKER__NETWORK__NAME"] = "polydev-bench-login",
            ["POLYDEV_SANDBOXES__DOCKER__NETWORK__BRIDGENAME"] = "pd-bench-login",
            ["POLYDEV_SANDBOXES__DOCKER__NETWORK__SUBNET"] = "10.218.0.0/24",
            ["POLYDEV_EGRESS__BINDADDRESS"] = "10.218.0.1",
            ["POLYDEV_EGRESS__FIRSTPORT"] = FreeTcpPort().ToString(CultureInfo.InvariantCulture),
            ["POLYDEV_SANDBOXES__RUNTIMES__claude__ENABLED"] = "false",
            ["POLYDEV_SANDBOXES__RUNTIMES__codex__ENABLED"] = "false",
            ["POLYDEV_SANDBOXES__RUNTIMES__gemini__ENABLED"] = "false",
            ["POLYDEV_SANDBOXES__RUNTIMES__login__WARMTARGET"] = warmTarget.ToString(CultureInfo.InvariantCulture),
            ["POLYDEV_SANDBOXES__RUNTIMES__login__MAXSANDBOXES"] = (warmTarget + 2).ToString(CultureInfo.InvariantCulture),
            ["POLYDEV_LOGIN__TURN__MODE"] = "embedded",
            ["POLYDEV_LOGIN__TURN__LISTENINGPORT"] = turnPort.ToString(CultureInfo.InvariantCulture),
            // Loopback for the relays (and the host's viewers), the sandbox network's gateway for the sandboxes.
            ["POLYDEV_LOGIN__TURN__LISTENINGADDRESSES__0"] = "127.0.0.1",
            ["POLYDEV_LOGIN__TURN__LISTENINGADDRESSES__1"] = "10.218.0.1",
            ["POLYDEV_LOGIN__TURN__PUBLICHOST"] = host,
            ["POLYDEV_ACCOUNTS__AUTHKEYHASHITERATIONS"] = "1000",
        };
        info.Environment["POLYDEV_EGRESS__LASTPORT"] = settings["POLYDEV_EGRESS__FIRSTPORT"];
        foreach (var (name, value) in settings)
        {
            info.Environment[name] = value;
        }

        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var process = Process.Start(info)!;
        var log = new StreamWriter(logPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new LoginBenchServer(process, data, port, turnPort, logPath);
        using var http = new HttpClient();
        for (int i = 0; i < 300; i++)
        {
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/health/ready")).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (process.HasExited)
            {
                break;
            }

            await Task.Delay(100);
        }

        await server.DisposeAsync();
        throw new InvalidOperationException($"polydev server did not come up; see {logPath}");
    }

    /// <summary>The login pool's ready sandboxes, from /metrics.</summary>
    public async Task WaitForWarmAsync(int count, TimeSpan timeout)
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var metrics = await http.GetStringAsync(Url + "/metrics");
            var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("polydev_sandboxes{", StringComparison.Ordinal) && l.Contains("runtime=\"login\"") && l.Contains("state=\"ready\""));
            if (line is not null && double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture) >= count)
            {
                return;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The login pool had no {count} ready sandboxes within {timeout.TotalSeconds} s; see {LogPath}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the server ends its sessions and destroys its sandboxes; SIGKILL only when it does not stop.
            _ = Kill(_process.Id, 15);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
