using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polydev.Server.Egress;
using Polydev.Server.Egress.Proxy;
using Prometheus;

namespace Polydev.Bench;

/// <summary>
/// <c>Polydev.Bench egress-proxy</c>: an <see cref="EgressProxy"/> alone in its own process, so
/// the benchmark measures its memory and CPU apart from the clients and the target, as Squid's
/// are. Configured like <c>polydev server</c> (<c>POLYDEV_EGRESS__…</c> variables); the one
/// user and token come from <c>POLYDEV_BENCH_EGRESS_USER</c> / <c>_TOKEN</c>.
/// Prints <c>listening PORT</c>, then answers <c>stats</c> on stdin until <c>quit</c>.
/// </summary>
internal static class EgressProxyHost
{
    public const string Verb = "egress-proxy";

    public static async Task<int> RunAsync()
    {
        var userId = Guid.Parse(Environment.GetEnvironmentVariable("POLYDEV_BENCH_EGRESS_USER")!);
        var token = Environment.GetEnvironmentVariable("POLYDEV_BENCH_EGRESS_TOKEN")!;
        var options = new EgressOptions();
        new ConfigurationBuilder().AddEnvironmentVariables("POLYDEV_").Build().GetSection(EgressOptions.Section).Bind(options);

        var registry = Metrics.NewCustomRegistry();
        await using var proxy = new EgressProxy(Options.Create(options), new OneToken(userId, token), new SystemNetwork(), new EgressMetrics(registry), TimeProvider.System, NullLogger<EgressProxy>.Instance);
        await proxy.OpenAsync(userId, 0, CancellationToken.None);
        Console.WriteLine($"listening {proxy.OpenPorts.Single()}");

        while (await Console.In.ReadLineAsync() is { } line && line != "quit")
        {
            if (line == "stats")
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                using var stream = new MemoryStream();
                await registry.CollectAndExportAsTextAsync(stream);
                var metrics = System.Text.Encoding.UTF8.GetString(stream.ToArray());
                var refusals = metrics.Split('\n').Where(l => l.StartsWith("polydev_egress_refusals_total{", StringComparison.Ordinal))
                    .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rss={ResidentBytes()} heap={GC.GetGCMemoryInfo().HeapSizeBytes} tunnels={proxy.ActiveTunnels} refusals={refusals}"));
            }
        }

        await proxy.ShutdownAsync(CancellationToken.None);
        return 0;
    }

    public static long ResidentBytes(int? pid = null) =>
        ProcFs.KiB($"/proc/{(pid is null ? "self" : pid.Value.ToString(CultureInfo.InvariantCulture))}/status", "VmRSS") * 1024;

    private sealed class OneToken(Guid userId, string token) : IEgressAuthenticator
    {
        private readonly EgressPrincipal _principal = new(userId, Guid.NewGuid());

        public ValueTask<EgressPrincipal?> AuthenticateAsync(string presented, CancellationToken cancellationToken) =>
            ValueTask.FromResult(presented == token ? _principal : null);
    }
}
