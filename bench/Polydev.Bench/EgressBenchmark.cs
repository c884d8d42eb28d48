using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Polydev.Testing;

namespace Polydev.Bench;

/// <summary>
/// The same downloads and request mix four ways in one run, against one HTTPS target on
/// loopback (Kestrel): straight to it; through Polydev's proxy in direct mode (its own
/// process, 127.0.0.1 allowed); through Polydev chained to Squid (the production shape, Squid
/// standing in for Decodo); and through Squid alone as a plain forward proxy. Both proxies
/// require Basic auth and every client sends it up front (as curl and HTTP(S)_PROXY users do),
/// so no 407 round trip is timed. The downloads run twice: with everything sharing all cores,
/// then with the bench (clients and target) on one core and the proxies on another. Then a
/// thousand tunnels held open at once through one port.
/// </summary>
internal static class EgressBenchmark
{
    private const string DirectRoute = "direct (no proxy)";
    private const string PolydevRoute = "polydev (direct mode)";
    private const string ChainedRoute = "polydev -> squid (chained)";
    private const string SquidRoute = "squid";

    public sealed record Settings(int DownloadMiB, int Runs, int Requests, int NewTunnels, int Tunnels);

    public static async Task RunAsync(Settings settings)
    {
        await using var target = await HttpsTarget.StartAsync();
        var squidPassword = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        await using var squid = await SquidProxy.StartAsync("bench", squidPassword);
        var userId = Guid.NewGuid();
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        var common = new Dictionary<string, string>
        {
            ["MaxTunnelsPerUser"] = (settings.Tunnels * 2 + 100).ToString(CultureInfo.InvariantCulture),
            ["IdleTimeout"] = "00:10:00",
        };
        await using var polydev = await ProxyProcess.StartAsync(userId, token, new(common) { ["AllowedDestinations:0"] = "127.0.0.1/32" });
        await using var chained = await ProxyProcess.StartAsync(userId, token, new(common)
        {
            ["Upstream:Url"] = squid.Address.ToString(),
            ["Upstream:Username"] = "bench",
            ["Upstream:Password"] = squidPassword,
        });

        var routes = new Route[]
        {
            new(DirectRoute, null, null, []),
            new(PolydevRoute, polydev.Port, Basic("sandbox", token), [polydev.ProcessId]),
            new(ChainedRoute, chained.Port, Basic("sandbox", token), [chained.ProcessId, squid.ProcessId]),
            new(SquidRoute, squid.Port, Basic("bench", squidPassword), [squid.ProcessId]),
        };
        Route Named(string name) => routes.Single(r => r.Name == name);

        var https = new Uri($"https://127.0.0.1:{target.HttpsPort}/");
        var http = new Uri($"http://127.0.0.1:{target.HttpPort}/");
        Console.WriteLine($"egress: {settings.DownloadMiB} MiB downloads x {settings.Runs} runs per route (median run), {settings.Requests} small requests per reused connection, {settings.NewTunnels} over new tunnels; target Kestrel HTTPS/HTTP/1.1 on loopback; polydev proxies in their own processes");
        Console.WriteLine();

        await WarmUpAsync(routes, target, https, smallRequests: 50);

        // Throughput, first with every process free to run on every core, as the machine is shared in practice.
        var bytes = (long)settings.DownloadMiB << 20;
        var download = new Uri(https, $"bytes/{bytes}");
        var cpus = CpuPinning.AllowedCpus(Environment.ProcessId);
        PrintThroughput(Invariant($"route, shared: every process on any of CPUs {string.Join(",", cpus)}"), settings, routes, await MeasureThroughputAsync(routes, target, download, bytes, settings.Runs));

        // Then each proxy on a core of its own: on a host with spare cores the proxy does not compete with the
        // endpoints for CPU; on shared cores any relay does. This pass shows whether the proxy keeps up when it has a core.
        Console.WriteLine();
        if (Environment.ProcessorCount < 2 || cpus.Length < 2)
        {
            Console.WriteLine($"pinned pass skipped: this process may run on {cpus.Length} CPU(s), it needs two");
        }
        else
        {
            var (endpointCpu, proxyCpu) = (cpus[0], cpus[1]);
            await using (var pinning = await CpuPinning.PinAsync(
            [
                new("bench (clients + target)", [Environment.ProcessId], endpointCpu),
                new(PolydevRoute, [polydev.ProcessId], proxyCpu),
                new("polydev chained to squid", [chained.ProcessId], proxyCpu),
                new("squid and its helpers", CpuPinning.WithDescendants(squid.ProcessId), proxyCpu),
            ]))
            {
                Console.WriteLine("pinned pass, each proxy on a core of its own (every thread moved with taskset -a):");
                foreach (var placement in pinning.Placements)
                {
                    Console.WriteLine($"- {placement}");
                }

                Console.WriteLine();
                await WarmUpAsync(routes, target, https, smallRequests: 0);
                var pinned = await MeasureThroughputAsync(routes, target, download, bytes, settings.Runs);
                PrintThroughput(Invariant($"route, PINNED: bench on CPU {endpointCpu}, proxies on CPU {proxyCpu}"), settings, routes, pinned);
            }

            Console.WriteLine($"affinities restored (bench process: CPUs {string.Join(",", CpuPinning.AllowedCpus(Environment.ProcessId))})");
        }

        // Latency per small request: over new tunnels (connect + CONNECT + TLS + request), over one reused tunnel, and plain HTTP over one kept-alive connection.
        Console.WriteLine();
        Console.WriteLine("| small request (2 B answer) | route | requests | p50 ms | p99 ms | added p50 ms | added p99 ms |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        // Requests interleaved across routes (one each in turn) so drift and warm-up hit all alike.
        var httpsClients = routes.ToDictionary(r => r.Name, r => r.HttpsClient(target));
        var httpClients = routes.ToDictionary(r => r.Name, r => r.HttpClient(target));
        var workloads = new (string Name, int Count, Func<Route, Task> Request)[]
        {
            ("HTTPS, new tunnel each", settings.NewTunnels, async route =>
            {
                using var client = route.HttpsClient(target);
                Check(await client.GetStringAsync(new Uri(https, "small")));
            }),
            ("HTTPS, one reused tunnel", settings.Requests, async route => Check(await httpsClients[route.Name].GetStringAsync(new Uri(https, "small")))),
            ("plain HTTP, kept-alive connection", settings.Requests, async route => Check(await httpClients[route.Name].GetStringAsync(new Uri(http, "small")))),
        };

        foreach (var (name, count, request) in workloads)
        {
            var milliseconds = routes.ToDictionary(r => r.Name, _ => new List<double>());
            foreach (var route in routes)
            {
                await request(route);
            }

            for (var i = 0; i < count; i++)
            {
                foreach (var route in routes)
                {
                    var started = Stopwatch.GetTimestamp();
                    await request(route);
                    milliseconds[route.Name].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }

            var baseline = milliseconds[DirectRoute];
            foreach (var route in routes)
            {
                var own = milliseconds[route.Name];
                var added = route.ProxyPort is null
                    ? "| | |"
                    : Invariant($"| {Percentile(own, 50) - Percentile(baseline, 50):0.000} | {Percentile(own, 99) - Percentile(baseline, 99):0.000} |");
                Console.WriteLine(Invariant($"| {name} | {route.Name} | {own.Count} | {Percentile(own, 50):0.000} | {Percentile(own, 99):0.000} {added}"));
            }
        }

        foreach (var client in httpsClients.Values.Concat(httpClients.Values))
        {
            client.Dispose();
        }

        // A thousand tunnels at once through one user's port, each with a TLS session and a request done, all held.
        Console.WriteLine();
        Console.WriteLine($"| {settings.Tunnels} tunnels held at once | opened | seconds to open all | RSS idle MiB | RSS holding MiB | per tunnel KiB | managed heap holding MiB |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (route, memory) in new (Route, Func<Task<(long Rss, long Heap)>>)[]
        {
            (Named(PolydevRoute), async () => { var s = await polydev.StatsAsync(); return (s.Rss, s.Heap); }),
            (Named(SquidRoute), () => Task.FromResult((EgressProxyHost.ResidentBytes(squid.ProcessId), -1L))),
        })
        {
            var idle = await memory();
            var watch = Stopwatch.StartNew();
            var held = await OpenTunnelsAsync(route, target, settings.Tunnels);
            var opening = watch.Elapsed.TotalSeconds;
            var holding = await memory();
            var perTunnel = (holding.Rss - idle.Rss) / 1024.0 / Math.Max(1, held.Count);
            Console.WriteLine(Invariant($"| {route.Name} | {held.Count} of {settings.Tunnels} | {opening:0.0} | {idle.Rss / 1048576.0:0.0} | {holding.Rss / 1048576.0:0.0} | {perTunnel:0.0} | {(holding.Heap < 0 ? "" : (holding.Heap / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture))} |"));
            foreach (var stream in held)
            {
                await stream.DisposeAsync();
            }
        }

        Console.WriteLine();
        var after = await polydev.StatsAsync();
        Console.WriteLine(Invariant($"{PolydevRoute} after the run: {after.Tunnels} tunnels open, {after.Refusals} refusals (expected 0: credentials were sent up front)"));
    }

    /// <summary>Per route, a few small requests and one 8 MiB download over a fresh tunnel, so no pass times a cold path.</summary>
    private static async Task WarmUpAsync(Route[] routes, HttpsTarget target, Uri https, int smallRequests)
    {
        foreach (var route in routes)
        {
            using var warm = route.HttpsClient(target);
            for (var i = 0; i < smallRequests; i++)
            {
                await warm.GetStringAsync(new Uri(https, "small"));
            }

            await DownloadAsync(warm, new Uri(https, "bytes/8388608"), 8 << 20);
        }
    }

    /// <summary>Downloads over one tunnel per route, runs interleaved across routes so drift hits all alike.</summary>
    private static async Task<Dictionary<string, Throughput>> MeasureThroughputAsync(Route[] routes, HttpsTarget target, Uri url, long bytes, int runs)
    {
        var seconds = routes.ToDictionary(r => r.Name, _ => new List<double>());
        var cpu = routes.ToDictionary(r => r.Name, _ => 0.0);
        var clients = routes.ToDictionary(r => r.Name, r => r.HttpsClient(target));
        try
        {
            for (var run = 0; run < runs; run++)
            {
                foreach (var route in routes)
                {
                    try
                    {
                        var cpuBefore = route.ProxyProcesses.Sum(CpuSeconds);
                        seconds[route.Name].Add(await DownloadAsync(clients[route.Name], url, bytes));
                        cpu[route.Name] += route.ProxyProcesses.Sum(CpuSeconds) - cpuBefore;
                    }
                    catch (Exception e) when (e is IOException or HttpRequestException or InvalidDataException)
                    {
                        throw new IOException($"{route.Name}: run {run + 1} of {runs} failed: {e.Message}", e);
                    }
                }
            }
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }

        // Each run's rate over the direct run of the same round: drift between rounds cancels out.
        var direct = seconds[routes.Single(r => r.ProxyPort is null).Name];
        return routes.ToDictionary(r => r.Name, r => new Throughput(
            bytes / 1e6 / Median(seconds[r.Name]),
            Median([.. seconds[r.Name].Select((s, run) => direct[run] / s)]),
            bytes / 1e6 / seconds[r.Name].Min(),
            r.ProxyProcesses.Length == 0 ? null : cpu[r.Name] * 1000 / (bytes * runs / 1e9)));
    }

    private static void PrintThroughput(string routeHeading, Settings settings, Route[] routes, Dictionary<string, Throughput> results)
    {
        var direct = results[DirectRoute];
        var squid = results[SquidRoute];
        Console.WriteLine($"| {routeHeading} | {settings.DownloadMiB} MiB over one tunnel, MB/s (median) | best run MB/s | vs direct | vs direct, same round (median) | vs squid | proxy CPU ms per GB |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var route in routes)
        {
            var own = results[route.Name];
            var vsSquid = route.ProxyPort is null ? "" : (own.MedianMBps / squid.MedianMBps).ToString("0.00", CultureInfo.InvariantCulture);
            var cpuPerGb = own.CpuMsPerGb is { } ms ? ms.ToString("0", CultureInfo.InvariantCulture) : "";
            Console.WriteLine(Invariant($"| {route.Name} | {own.MedianMBps:0} | {own.BestMBps:0} | {own.MedianMBps / direct.MedianMBps:0.00} | {own.PairedRatio:0.00} | {vsSquid} | {cpuPerGb} |"));
        }
    }

    private static async Task<List<SslStream>> OpenTunnelsAsync(Route route, HttpsTarget target, int count)
    {
        var held = new List<SslStream>();
        var request = Encoding.ASCII.GetBytes($"GET /small HTTP/1.1\r\nHost: 127.0.0.1:{target.HttpsPort}\r\n\r\n");
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (_, cancellationToken) =>
        {
            try
            {
                var stream = await route.TunnelAsync(new DnsEndPoint("127.0.0.1", target.HttpsPort), cancellationToken);
                var tls = new SslStream(stream, leaveInnerStreamOpen: false, target.Validate);
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1" }, cancellationToken);
                await tls.WriteAsync(request, cancellationToken);
                var buffer = new byte[1024];
                var text = new StringBuilder();
                while (!text.ToString().EndsWith("\r\n\r\nok", StringComparison.Ordinal))
                {
                    var read = await tls.ReadAsync(buffer, cancellationToken);
                    if (read == 0)
                    {
                        throw new IOException("closed");
                    }

                    text.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                lock (held)
                {
                    held.Add(tls);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or HttpRequestException or System.Security.Authentication.AuthenticationException)
            {
                Console.Error.WriteLine($"{route.Name}: a tunnel failed: {e.Message}");
            }
        });
        return held;
    }

    private static async Task<double> DownloadAsync(HttpClient client, Uri url, long expected)
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[128 * 1024];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        var seconds = watch.Elapsed.TotalSeconds;
        return total == expected ? seconds : throw new InvalidDataException($"downloaded {total} of {expected} bytes");
    }

    private static void Check(string answer)
    {
        if (answer != "ok")
        {
            throw new InvalidDataException($"unexpected answer '{answer}'");
        }
    }

    private static double Percentile(List<double> values, double p) => Latencies.NearestRank(values, p);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>User plus system CPU time of a process so far (/proc/PID/stat, in clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var fields = ProcFs.StatFields(pid) ?? throw new InvalidOperationException($"proxy process {pid} is gone");
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <param name="MedianMBps">MB/s of the median run.</param>
    /// <param name="PairedRatio">Median over runs of the direct run's time in the same round over this route's: 1 for the direct route.</param>
    /// <param name="BestMBps">MB/s of the fastest run.</param>
    /// <param name="CpuMsPerGb">CPU time of the route's proxy processes per GB relayed; null for straight to the target.</param>
    private sealed record Throughput(double MedianMBps, double PairedRatio, double BestMBps, double? CpuMsPerGb);

    /// <param name="ProxyPort">Null for straight to the target.</param>
    /// <param name="Authorization">The Proxy-Authorization value the client sends up front.</param>
    /// <param name="ProxyProcesses">The proxy processes on the path, whose CPU time is counted.</param>
    private sealed record Route(string Name, int? ProxyPort, string? Authorization, int[] ProxyProcesses)
    {
        /// <summary>HTTPS: a CONNECT tunnel (or a direct TCP connection) made by hand, TLS and HTTP by HttpClient.</summary>
        public HttpClient HttpsClient(HttpsTarget target)
        {
            var handler = target.CreateHandler();
            if (ProxyPort is not null)
            {
                handler.ConnectCallback = (context, cancellationToken) => TunnelAsync(context.DnsEndPoint, cancellationToken);
            }

            return new HttpClient(handler);
        }

        /// <summary>Plain HTTP: HttpClient's own proxy support (absolute-URI requests), credentials as a default header.</summary>
        public HttpClient HttpClient(HttpsTarget target)
        {
            var handler = target.CreateHandler(ProxyPort is null ? null : new WebProxy(new Uri($"http://127.0.0.1:{ProxyPort}")));
            var client = new HttpClient(handler);
            if (Authorization is not null)
            {
                client.DefaultRequestHeaders.ProxyAuthorization = AuthenticationHeaderValue.Parse(Authorization);
            }

            return client;
        }

        public async ValueTask<Stream> TunnelAsync(DnsEndPoint destination, CancellationToken cancellationToken)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                if (ProxyPort is null)
                {
                    await socket.ConnectAsync(destination, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }

                await socket.ConnectAsync(IPAddress.Loopback, ProxyPort.Value, cancellationToken);
                var authority = $"{destination.Host}:{destination.Port}";
                await socket.SendAsync(Encoding.ASCII.GetBytes($"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nProxy-Authorization: {Authorization}\r\n\r\n"), cancellationToken);
                var head = new StringBuilder();
                var buffer = new byte[1024];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await socket.ReceiveAsync(buffer, cancellationToken);
                    if (read == 0)
                    {
                        throw new IOException($"{Name} closed during CONNECT");
                    }

                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                if (!head.ToString().StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && !head.ToString().StartsWith("HTTP/1.0 200", StringComparison.Ordinal))
                {
                    throw new HttpRequestException($"{Name} refused CONNECT: {head.ToString().Split('\r')[0]}");
                }

                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>A Polydev egress proxy in a child process (this program's <c>egress-proxy</c> verb).</summary>
    private sealed class ProxyProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private volatile bool _quitting;

        private ProxyProcess(Process process, int port)
        {
            _process = process;
            Port = port;
            // A proxy that dies mid-run shows up as a broken download: say which one and how it ended.
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) =>
            {
                if (!_quitting)
                {
                    Console.Error.WriteLine($"egress proxy process {process.Id} exited mid-run with code {process.ExitCode}");
                }
            };
        }

        public int Port { get; }

        public int ProcessId => _process.Id;

        public static async Task<ProxyProcess> StartAsync(Guid userId, string token, Dictionary<string, string> egress)
        {
            var host = Environment.ProcessPath!;
            var start = new ProcessStartInfo(host)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            {
                start.ArgumentList.Add(typeof(EgressProxyHost).Assembly.Location);
            }

            start.ArgumentList.Add(EgressProxyHost.Verb);
            start.Environment["POLYDEV_BENCH_EGRESS_USER"] = userId.ToString();
            start.Environment["POLYDEV_BENCH_EGRESS_TOKEN"] = token;
            foreach (var (key, value) in egress)
            {
                start.Environment["POLYDEV_EGRESS__" + key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant()] = value;
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("the egress proxy process did not start");
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
            {
                process.Kill();
                throw new InvalidOperationException($"the egress proxy process said '{line}'");
            }

            return new ProxyProcess(process, int.Parse(line[10..], CultureInfo.InvariantCulture));
        }

        public async Task<(long Rss, long Heap, int Tunnels, double Refusals)> StatsAsync()
        {
            await _process.StandardInput.WriteLineAsync("stats");
            await _process.StandardInput.FlushAsync();
            var fields = (await _process.StandardOutput.ReadLineAsync())!.Split(' ').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1]);
            return (long.Parse(fields["rss"], CultureInfo.InvariantCulture), long.Parse(fields["heap"], CultureInfo.InvariantCulture),
                int.Parse(fields["tunnels"], CultureInfo.InvariantCulture), double.Parse(fields["refusals"], CultureInfo.InvariantCulture));
        }

        public async ValueTask DisposeAsync()
        {
            _quitting = true;
            try
            {
                await _process.StandardInput.WriteLineAsync("quit");
                await _process.StandardInput.FlushAsync();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception e) when (e is IOException or TimeoutException)
            {
                _process.Kill();
            }

            _process.Dispose();
        }
    }
}
