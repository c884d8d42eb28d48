using System.Diagnostics;
using System.Globalization;

namespace Polydev.Testing.Monitoring;

/// <summary>Debian's <c>prometheus-node-exporter</c> on a loopback port of its own, as the host dashboard and alerts read it.</summary>
public sealed class NodeExporter : IAsyncDisposable
{
    private readonly Process _process;

    private NodeExporter(Process process, int port)
    {
        _process = process;
        Target = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>host:port, for Prometheus's target file.</summary>
    public string Target { get; }

    public static async Task<NodeExporter> StartAsync()
    {
        var port = LoopbackPort.Free();
        var start = new ProcessStartInfo(MonitoringFiles.Tool("prometheus-node-exporter"))
        {
            ArgumentList = { "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), "--log.level=warn" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus-node-exporter did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exporter = new NodeExporter(process, port);
        using var http = new HttpClient();
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(15); await Task.Delay(100))
        {
            try
            {
                if ((await http.GetAsync($"http://{exporter.Target}/metrics")).IsSuccessStatusCode)
                {
                    return exporter;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
        }

        await exporter.DisposeAsync();
        throw new InvalidOperationException("prometheus-node-exporter did not answer within 15 s");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
