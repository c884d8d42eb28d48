using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Polydev.Testing.Monitoring;

/// <summary>
/// Debian's <c>prometheus</c> running deploy/monitoring/prometheus.yml and its rules as shipped, from a copy in a temp
/// directory whose only changes are the scrape and evaluation interval (seconds, not 15 s, so a test sees rates) and the
/// target files, which name what the test runs. Every job of the shipped file stays; jobs the test has nothing for get
/// an empty target list, as a single VPS would.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private const string ShippedInterval = "15s";
    private readonly Process _process;
    private readonly string _directory;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string directory, Uri address, TimeSpan scrapeInterval)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        ScrapeInterval = scrapeInterval;
    }

    public TimeSpan ScrapeInterval { get; }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <param name="targets">host:port per target file name (<c>polydev</c>, <c>node</c>, <c>egress-gateway</c>, …).</param>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, IReadOnlyList<string>> targets, TimeSpan scrapeInterval)
    {
        var directory = Directory.CreateTempSubdirectory("polydev-prometheus-").FullName;
        var interval = $"{(int)scrapeInterval.TotalSeconds}s";
        var config = await File.ReadAllTextAsync(MonitoringFiles.PrometheusConfig);
        if (!config.Contains($"scrape_interval: {ShippedInterval}", StringComparison.Ordinal) || !config.Contains($"evaluation_interval: {ShippedInterval}", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"prometheus.yml no longer sets scrape_interval and evaluation_interval to {ShippedInterval}; update {nameof(PrometheusServer)}.");
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "prometheus.yml"),
            config.Replace($"scrape_interval: {ShippedInterval}", $"scrape_interval: {interval}", StringComparison.Ordinal)
                  .Replace($"evaluation_interval: {ShippedInterval}", $"evaluation_interval: {interval}", StringComparison.Ordinal));
        Directory.CreateDirectory(Path.Combine(directory, "rules"));
        foreach (var rules in MonitoringFiles.RuleFiles)
        {
            File.Copy(rules, Path.Combine(directory, "rules", Path.GetFileName(rules)));
        }

        Directory.CreateDirectory(Path.Combine(directory, "targets"));
        foreach (var shipped in Directory.GetFiles(Path.Combine(MonitoringFiles.Directory, "targets"), "*.yml"))
        {
            var name = Path.GetFileNameWithoutExtension(shipped);
            var list = targets.GetValueOrDefault(name) ?? [];
            var yaml = list.Count == 0 ? "[]\n" : $"- targets: [{string.Join(", ", list.Select(t => $"\"{t}\""))}]\n";
            await File.WriteAllTextAsync(Path.Combine(directory, "targets", name + ".yml"), yaml);
        }

        var unknown = targets.Keys.Where(k => !File.Exists(Path.Combine(directory, "targets", k + ".yml"))).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"deploy/monitoring/targets has no {string.Join(", ", unknown)}.yml", nameof(targets));
        }

        var port = LoopbackPort.Free();
        var start = new ProcessStartInfo(MonitoringFiles.Tool("prometheus"))
        {
            ArgumentList =
            {
                "--config.file=" + Path.Combine(directory, "prometheus.yml"),
                "--storage.tsdb.path=" + Path.Combine(directory, "data"),
                "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
                "--log.level=warn",
            },
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}/"), scrapeInterval);
        for (var waited = Stopwatch.StartNew(); ; await Task.Delay(100))
        {
            if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                await server.DisposeAsync();
                lock (log)
                {
                    throw new InvalidOperationException($"prometheus did not become ready (exit: {(process.HasExited ? process.ExitCode : "still running")}):\n{log}");
                }
            }

            try
            {
                if ((await server._http.GetAsync("-/ready")).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
        }
    }

    /// <summary>Waits until every target of <paramref name="jobs"/> has been scraped successfully.</summary>
    public async Task WaitForTargetsUpAsync(TimeSpan timeout, params string[] jobs)
    {
        var states = "";
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < timeout; await Task.Delay(250))
        {
            using var answer = JsonDocument.Parse(await _http.GetStringAsync("api/v1/targets?state=active"));
            var active = answer.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
                .Select(t => (Job: t.GetProperty("labels").GetProperty("job").GetString(), Health: t.GetProperty("health").GetString(), Error: t.GetProperty("lastError").GetString()))
                .ToList();
            states = string.Join("; ", active.Select(t => $"{t.Job}: {t.Health} {t.Error}"));
            if (jobs.All(job => active.Any(t => t.Job == job) && active.Where(t => t.Job == job).All(t => t.Health == "up")))
            {
                return;
            }
        }

        throw new TimeoutException($"Prometheus's targets of {string.Join(", ", jobs)} were not all up within {timeout.TotalSeconds} s: {states}");
    }

    /// <summary><c>/api/v1/query_range</c>: the result matrix, or the error Prometheus gave.</summary>
    public async Task<(JsonElement? Result, string? Error)> QueryRangeAsync(string query, DateTimeOffset start, DateTimeOffset end, TimeSpan step)
    {
        using var response = await _http.PostAsync("api/v1/query_range", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["query"] = query,
            ["start"] = start.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["end"] = end.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["step"] = step.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        }));
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return answer.RootElement.GetProperty("status").GetString() == "success"
            ? (answer.RootElement.GetProperty("data").GetProperty("result").Clone(), null)
            : (null, answer.RootElement.GetProperty("error").GetString());
    }

    /// <summary><c>/api/v1/label/&lt;label&gt;/values</c>, of the series matching <paramref name="match"/> when given.</summary>
    public async Task<IReadOnlyList<string>> LabelValuesAsync(string label, string? match)
    {
        var path = $"api/v1/label/{Uri.EscapeDataString(label)}/values" + (match is null ? "" : "?match[]=" + Uri.EscapeDataString(match));
        var answer = await _http.GetFromJsonAsync<JsonElement>(path);
        return answer.GetProperty("data").EnumerateArray().Select(v => v.GetString()!).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _http.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
