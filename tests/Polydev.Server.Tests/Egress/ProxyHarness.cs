using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Server.Egress;
using Polydev.Server.Egress.Proxy;
using Polydev.Server.Tests.Infrastructure;
using Prometheus;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// An <see cref="EgressProxy"/> on loopback with its own metrics registry, captured logs and
/// token registry, and one user whose port is open. Disposing it disposes the proxy.
/// </summary>
public sealed class ProxyHarness : IAsyncDisposable
{
    private ProxyHarness(EgressProxy proxy, EgressOptions options, TokenAuthenticator tokens, CapturedLogs logs, CollectorRegistry registry)
    {
        Proxy = proxy;
        Options = options;
        Tokens = tokens;
        Logs = logs;
        Registry = registry;
    }

    public EgressProxy Proxy { get; }

    public EgressOptions Options { get; }

    public TokenAuthenticator Tokens { get; }

    public CapturedLogs Logs { get; }

    /// <summary>
    /// Waits (briefly: the exchange's log line is written just after its answer) until the logs hold
    /// <paramref name="reason"/>: what a refusal tells the operator and no longer the client.
    /// </summary>
    public async Task AssertLoggedAsync(string reason)
    {
        for (var i = 0; i < 100 && !Logs.Text.Contains(reason, StringComparison.Ordinal); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(Logs.Text.Contains(reason, StringComparison.Ordinal), $"'{reason}' is not in the proxy's logs:\n{Logs.Text}");
    }

    public CollectorRegistry Registry { get; }

    public Guid UserId { get; private set; }

    public string Token { get; private set; } = "";

    public int Port { get; private set; }

    public Uri ProxyUri => new($"http://127.0.0.1:{Port}");

    /// <summary>Direct mode with loopback allowed unless <paramref name="configure"/> says otherwise.</summary>
    /// <param name="network">The dialer's network; the machine's own unless a test changes DNS answers or records connects.</param>
    public static async Task<ProxyHarness> StartAsync(Action<EgressOptions>? configure = null, IDirectNetwork? network = null)
    {
        var options = new EgressOptions
        {
            AllowedDestinations = ["127.0.0.1/32", "::1/128"],
            ConnectTimeout = TimeSpan.FromSeconds(5),
            RequestHeadersTimeout = TimeSpan.FromSeconds(5),
            IdleTimeout = TimeSpan.FromSeconds(30),
            ShutdownGrace = TimeSpan.FromSeconds(2),
        };
        configure?.Invoke(options);
        var tokens = new TokenAuthenticator();
        var logs = new CapturedLogs();
        var registry = Metrics.NewCustomRegistry();
        var proxy = new EgressProxy(
            Microsoft.Extensions.Options.Options.Create(options),
            tokens,
            network ?? new SystemNetwork(),
            new EgressMetrics(registry),
            TimeProvider.System,
            new Logger<EgressProxy>(new LoggerFactory([logs])));
        var harness = new ProxyHarness(proxy, options, tokens, logs, registry);
        (harness.UserId, harness.Token, harness.Port) = await harness.AddUserAsync();
        return harness;
    }

    /// <summary>A new user with a token and an open port.</summary>
    public async Task<(Guid UserId, string Token, int Port)> AddUserAsync()
    {
        var userId = Guid.NewGuid();
        await Proxy.OpenAsync(userId, 0, CancellationToken.None);
        return (userId, Tokens.Issue(userId), Proxy.PortOf(userId)!.Value);
    }

    /// <summary>What HttpClient users configure: the port, with the token as the password.</summary>
    public WebProxy WebProxy(string? token = null, int? port = null) =>
        new(new Uri($"http://127.0.0.1:{port ?? Port}")) { Credentials = new NetworkCredential("sandbox", token ?? Token) };

    /// <summary>
    /// Waits until nothing is left: no tunnel, no client connection, no socket toward a
    /// destination, and no descriptor of this process on a socket of the given ports
    /// (the proxy's ports as local port, destination ports as remote port).
    /// </summary>
    public async Task AssertDrainedAsync(params int[] destinationPorts)
    {
        var ports = Proxy.OpenPorts.Append(Port).ToArray();
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var leftovers = TcpTable.HeldByThisProcess(ports, destinationPorts);
            if (Proxy.ActiveTunnels == 0 && Proxy.OpenConnections == 0 && Proxy.OpenSockets == 0 && leftovers.Count == 0)
            {
                return;
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Fail($"Proxy not drained: {Proxy.ActiveTunnels} tunnels, {Proxy.OpenConnections} connections, {Proxy.OpenSockets} sockets; held: {string.Join(", ", leftovers)}\n{Logs.Text}");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>Like <see cref="AssertDrainedAsync"/> for one user's port only, while others keep working.</summary>
    public async Task AssertPortDrainedAsync(Guid userId, int port)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var leftovers = TcpTable.HeldByThisProcess([port], []);
            var usage = Proxy.GetUsage(userId);
            var connections = Proxy.ConnectionsOf(userId);
            if (usage.ActiveTunnels == 0 && connections == 0 && leftovers.Count == 0)
            {
                return;
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(15))
            {
                Assert.Fail($"Port {port} not drained: {usage.ActiveTunnels} tunnels, {connections} connections; held: {string.Join(", ", leftovers.Take(20))} ({leftovers.Count})");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>The registry in Prometheus text format.</summary>
    public async Task<string> MetricsTextAsync()
    {
        using var stream = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public async ValueTask DisposeAsync() => await Proxy.DisposeAsync();
}
