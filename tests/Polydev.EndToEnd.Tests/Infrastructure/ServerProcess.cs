using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Polydev.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A real <c>polydev server</c> process on a free loopback port with its own data directory; its stdout and stderr
/// (the server's logs) are captured for the zero-knowledge checks. PostgreSQL is selected through POLYDEV_DATABASE,
/// never an argument.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _outputLock = new();

    private readonly bool _ownsData;

    private ServerProcess(Process process, string url, string dataDirectory, bool ownsData)
    {
        _process = process;
        _ownsData = ownsData;
        Url = url;
        DataDirectory = dataDirectory;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Url { get; }

    public int Port => new Uri(Url).Port;

    public string DataDirectory { get; }

    public int Pid => _process.Id;

    public string SqlitePath => Path.Combine(DataDirectory, "polydev.db");

    /// <summary>Everything the server wrote to stdout and stderr so far.</summary>
    public string Logs
    {
        get
        {
            lock (_outputLock)
            {
                return _output.ToString();
            }
        }
    }

    public static Task<ServerProcess> StartSqliteAsync() => StartAsync(postgresConnectionString: null);

    public static Task<ServerProcess> StartAsync(string? postgresConnectionString, IReadOnlyDictionary<string, string?>? settings = null) =>
        StartAsync(postgresConnectionString, settings, dataDirectory: null);

    /// <summary>
    /// Starts a server; with <paramref name="dataDirectory"/> on an existing data directory (a restart), which this
    /// instance then leaves in place when disposed; otherwise on a new one that it deletes. A restart can take the
    /// old server's <paramref name="port"/>, so clients that were talking to it reach the new one.
    /// </summary>
    /// <param name="runAs">See <see cref="PolydevProcess.StartInfo"/>: the server run as another user.</param>
    public static async Task<ServerProcess> StartAsync(string? postgresConnectionString, IReadOnlyDictionary<string, string?>? settings, string? dataDirectory, int? port = null, IReadOnlyList<string>? runAs = null)
    {
        port ??= FreePort();
        var url = $"http://127.0.0.1:{port}";
        var data = dataDirectory ?? Directory.CreateTempSubdirectory("polydev-e2e-data-").FullName;
        // The shipped appsettings.json runs sandboxes on the local Docker engine with the egress ports on the
        // sandbox network's gateway; tests that do not run executions start without them.
        var environment = new Dictionary<string, string?>
        {
            ["POLYDEV_SANDBOXES__ENGINE"] = "none",
            ["POLYDEV_EGRESS__BINDADDRESS"] = "127.0.0.1",
            // One coturn per test server would fight over the TURN port; the login tests turn it on with a port of their own.
            ["POLYDEV_LOGIN__TURN__MODE"] = "off",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        if (postgresConnectionString is not null)
        {
            environment["POLYDEV_DATABASE"] = postgresConnectionString;
        }

        var process = Process.Start(PolydevProcess.StartInfo(["server", "--urls", url, "--data", data], environment, runAs))!;
        process.StandardInput.Close();
        var server = new ServerProcess(process, url, data, ownsData: dataDirectory is null);
        await server.WaitUntilReadyAsync();
        return server;
    }

    public async Task<string> GetAsync(string path)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(Url + path);
    }

    /// <summary>Stops the server gracefully, so its last log lines are flushed before they are inspected.</summary>
    public Task StopAsync() => PolydevProcess.StopAsync(_process);

    /// <summary>SIGKILL: the server gets no chance to stop anything, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        PolydevProcess.Signal(_process.Id, PolydevProcess.SigKill);
        await _process.WaitForExitAsync();
    }

    /// <summary>The server process's own environment, as the kernel has it (<c>/proc/&lt;pid&gt;/environ</c>, NUL-separated).</summary>
    public byte[] ReadEnviron() => File.ReadAllBytes($"/proc/{_process.Id}/environ");

    /// <summary>The server process's arguments (<c>/proc/&lt;pid&gt;/cmdline</c>, NUL-separated).</summary>
    public byte[] ReadCommandLine() => File.ReadAllBytes($"/proc/{_process.Id}/cmdline");

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (!_ownsData)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"polydev server exited with {_process.ExitCode} before it was ready:\n{Logs}");
            }

            try
            {
                using var response = await http.GetAsync(Url + "/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        await StopAsync();
        throw new TimeoutException($"polydev server was not ready at {Url} within 60 s:\n{Logs}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
