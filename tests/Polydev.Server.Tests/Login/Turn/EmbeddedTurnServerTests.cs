using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polydev.Server.Login.Turn;
using Polydev.Server.Tests.Infrastructure;
using Polydev.Testing;

namespace Polydev.Server.Tests.Login.Turn;

/// <summary>The server's own coturn, composed as the server composes it (<c>AddTurn</c>): started, restarted, stopped.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class EmbeddedTurnServerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task It_starts_coturn_from_a_private_config_restarts_it_when_killed_and_stops_it_with_the_server()
    {
        Environment.SetEnvironmentVariable("POLYDEV_TURN_TEST_CANARY", "must-not-reach-coturn");
        await using var host = await Host.StartAsync(TurnTestOptions.Create(secret: null));
        var first = await host.WaitUpAsync();
        var secret = (await File.ReadAllTextAsync(host.Files.SecretFile)).Trim();
        Assert.Equal(64, secret.Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(host.Files.SecretFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(host.Files.ConfigFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(host.Files.Directory));
        Assert.Contains($"static-auth-secret={secret}", await File.ReadAllTextAsync(host.Files.ConfigFile), StringComparison.Ordinal);

        Assert.Equal(["/usr/bin/turnserver", "-c", host.Files.ConfigFile, ""], (await File.ReadAllTextAsync($"/proc/{first}/cmdline")).Split('\0'));
        Assert.DoesNotContain("POLYDEV_", await File.ReadAllTextAsync($"/proc/{first}/environ"), StringComparison.Ordinal);
        await AssertDropsRootAsync(first);
        await host.AssertAllocatesAsync();

        Process.GetProcessById(first).Kill();
        var second = await host.WaitUpAsync(notPid: first);
        Assert.Equal(1, host.Metrics.Restarts.Value);
        Assert.Contains("turn_server_exited", host.Logs.Text, StringComparison.Ordinal);
        await host.AssertAllocatesAsync();

        await host.Server.StopAsync(CancellationToken.None);
        Assert.False(Directory.Exists($"/proc/{second}"), "coturn still runs after the server stopped");
        Assert.Equal(0, host.Metrics.ServerUp.Value);
        Assert.Contains("turn_server_stopped", host.Logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, host.Logs.Text, StringComparison.Ordinal);
        // coturn's own errors come through as warnings: a database it cannot open once it dropped root, say.
        Assert.DoesNotContain(host.Logs.Text.Split('\n'), l => l.Contains("turn_server_output", StringComparison.Ordinal) && l.Contains("\"level\":\"Warning\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Its_answers_to_allocations_are_counted_by_outcome_from_its_output()
    {
        await using var host = await Host.StartAsync(TurnTestOptions.Create(secret: null));
        await host.WaitUpAsync();
        await host.AssertAllocatesAsync();
        await host.AssertRefusedAsync();

        await host.WaitForAllocationsAsync(TurnAllocationLine.Ok, 1);
        await host.WaitForAllocationsAsync(TurnAllocationLine.Unauthorized, 1);
        Assert.Equal(0, host.Metrics.Allocations.WithLabels(TurnAllocationLine.Quota).Value);
    }

    [Fact]
    public async Task Without_coturn_installed_it_warns_once_and_offers_no_credentials()
    {
        var options = TurnTestOptions.Create();
        options.Binary = "/nonexistent/turnserver";
        await using var host = await Host.StartAsync(options);
        await Task.Delay(200);

        Assert.Single(host.Logs.Text.Split('\n'), line => line.Contains("turn_server_missing", StringComparison.Ordinal) && line.Contains("Warning", StringComparison.Ordinal));
        Assert.Equal(1, host.Metrics.ServerMissing.Value);
        Assert.Equal(0, host.Metrics.ServerUp.Value);
        Assert.Null(host.Server.ProcessId);
        Assert.Null(host.Credentials.Issue("user-1", IPAddress.Loopback));
    }

    [Fact]
    public async Task A_coturn_left_running_by_a_crashed_server_is_stopped_before_the_new_one_starts()
    {
        var options = TurnTestOptions.Create();
        var data = Directory.CreateTempSubdirectory("polydev-turn-test-").FullName;
        var files = TurnFiles.Under(data);
        files.EnsureDirectory();
        TurnFiles.WritePrivate(files.ConfigFile, CoturnTests.Render(options) + $"pidfile={files.PidFile}\n");
        using var leftover = Process.Start(new ProcessStartInfo("/usr/bin/turnserver") { ArgumentList = { "-c", files.ConfigFile }, RedirectStandardOutput = true })!;
        var endpoint = new IPEndPoint(IPAddress.Loopback, options.ListeningPort);
        for (var waited = Stopwatch.StartNew(); !await Coturn.AcceptsAsync(endpoint) && waited.Elapsed < Wait;)
        {
            await Task.Delay(50);
        }

        await using var host = await Host.StartAsync(options, data);
        var pid = await host.WaitUpAsync();

        Assert.NotEqual(leftover.Id, pid);
        Assert.True(leftover.WaitForExit(TimeSpan.FromSeconds(10)), "the leftover coturn still runs");
        Assert.Contains($"\"pid\":{leftover.Id}", host.Logs.Text.Split('\n').Single(l => l.Contains("turn_server_leftover_stopped", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_another_process_holds_is_reported_and_taken_once_free()
    {
        var options = TurnTestOptions.Create();
        var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, options.ListeningPort));
        await using var host = await Host.StartAsync(options);

        for (var waited = Stopwatch.StartNew(); !host.Logs.Text.Contains("turn_server_port_busy", StringComparison.Ordinal); await Task.Delay(50))
        {
            Assert.True(waited.Elapsed < Wait, host.Logs.Text);
        }

        Assert.Null(host.Server.ProcessId);
        Assert.Equal(0, host.Metrics.ServerUp.Value);
        squatter.Dispose();
        await host.WaitUpAsync();
    }

    /// <summary>Run as root, coturn gives up root for Debian's turnserver account once its ports are open.</summary>
    private static async Task AssertDropsRootAsync(int pid)
    {
        var account = File.ReadLines("/etc/passwd").FirstOrDefault(l => l.StartsWith("turnserver:", StringComparison.Ordinal));
        if (!Environment.IsPrivilegedProcess || account is null)
        {
            return;
        }

        var uid = account.Split(':')[2];
        var line = "";
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < Wait; await Task.Delay(50))
        {
            line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            if (line.Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).All(id => id == uid))
            {
                return;
            }
        }

        Assert.Fail($"coturn still runs as {line}, not as turnserver ({uid})");
    }

    /// <summary>The TURN part alone in a service provider, with its logs captured and its metrics on a registry of its own.</summary>
    private sealed class Host : IAsyncDisposable
    {
        private readonly ServiceProvider _provider;
        private readonly string _data;

        private Host(ServiceProvider provider, string data, CapturedLogs logs)
        {
            _provider = provider;
            _data = data;
            Logs = logs;
        }

        public CapturedLogs Logs { get; }

        public EmbeddedTurnServer Server => _provider.GetRequiredService<EmbeddedTurnServer>();

        public TurnCredentials Credentials => _provider.GetRequiredService<TurnCredentials>();

        public TurnMetrics Metrics => _provider.GetRequiredService<TurnMetrics>();

        public TurnFiles Files => _provider.GetRequiredService<TurnFiles>();

        private TurnOptions Options => _provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<TurnOptions>>().Value;

        public static async Task<Host> StartAsync(TurnOptions options, string? data = null)
        {
            data ??= Directory.CreateTempSubdirectory("polydev-turn-test-").FullName;
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(TurnTestOptions.Settings(options, data)).Build();
            var logs = new CapturedLogs();
            var services = new ServiceCollection();
            services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton(new TurnMetrics(Prometheus.Metrics.NewCustomRegistry()));
            services.AddTurn(configuration);
            var host = new Host(services.BuildServiceProvider(), data, logs);
            await host.Server.StartAsync(CancellationToken.None);
            return host;
        }

        /// <summary>Waits until coturn accepts connections (another process than <paramref name="notPid"/>); returns its pid.</summary>
        public async Task<int> WaitUpAsync(int? notPid = null)
        {
            for (var waited = Stopwatch.StartNew(); waited.Elapsed < Wait; await Task.Delay(50))
            {
                if (Metrics.ServerUp.Value == 1 && Server.ProcessId is { } pid && pid != notPid)
                {
                    return pid;
                }
            }

            throw new TimeoutException($"the embedded coturn did not come up within {Wait.TotalSeconds} s:\n{Logs.Text}");
        }

        public async Task AssertAllocatesAsync()
        {
            var servers = Credentials.Issue("user-1", IPAddress.Loopback)!;
            await using var client = await TurnTestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Options.ListeningPort));
            var answer = await client.AllocateAsync(servers.Viewer.Username, servers.Viewer.Credential);
            Assert.True(answer.ErrorCode == 0, $"{answer}\n{Logs.Text}");
        }

        /// <summary>An allocation with a password the secret did not make is refused.</summary>
        public async Task AssertRefusedAsync()
        {
            var servers = Credentials.Issue("user-1", IPAddress.Loopback)!;
            await using var client = await TurnTestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Options.ListeningPort));
            var answer = await client.AllocateAsync(servers.Viewer.Username, "not-" + servers.Viewer.Credential);
            Assert.True(answer.ErrorCode == 401, $"{answer}\n{Logs.Text}");
        }

        /// <summary>coturn prints its answer after sending it, so the count follows the client's answer by a moment.</summary>
        public async Task WaitForAllocationsAsync(string outcome, double atLeast)
        {
            for (var waited = Stopwatch.StartNew(); waited.Elapsed < Wait; await Task.Delay(50))
            {
                if (Metrics.Allocations.WithLabels(outcome).Value >= atLeast)
                {
                    return;
                }
            }

            Assert.Fail($"polydev_turn_allocations_total{{outcome=\"{outcome}\"}} is {Metrics.Allocations.WithLabels(outcome).Value}, not {atLeast} or more:\n{Logs.Text}");
        }

        public async ValueTask DisposeAsync()
        {
            await Server.StopAsync(CancellationToken.None);
            await _provider.DisposeAsync();
            try
            {
                Directory.Delete(_data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
