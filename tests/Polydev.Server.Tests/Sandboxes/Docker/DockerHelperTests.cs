using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Docker.HostOperations;
using Prometheus;

namespace Polydev.Server.Tests.Sandboxes.Docker;

/// <summary>
/// The Docker helper's socket and its checks, with the host's side recorded instead of done (the conformance suite runs
/// the real operations through it: DockerHelperEngineConformance). The processes it is asked about live in a /proc of
/// the test's making: one container (its own network namespace, a Docker cgroup) and the helper itself.
/// </summary>
public sealed class DockerHelperTests : IAsyncLifetime
{
    private const int ContainerPid = 4242;
    private const int HostProcessPid = 4343;

    private static readonly DockerSandboxNetworkOptions Network = new("polydev-sandboxes", "pd-sandbox0", "10.213.0.0/24", 10001, 19999, 3478);

    private readonly string _directory = Directory.CreateTempSubdirectory("polydev-helper-test-").FullName;
    private readonly RecordingHost _host = new();
    private readonly CollectorRegistry _served = Metrics.NewCustomRegistry();
    private readonly CollectorRegistry _asked = Metrics.NewCustomRegistry();
    private readonly CancellationTokenSource _stop = new();
    private Socket _listener = null!;
    private Task _serving = Task.CompletedTask;

    private string SocketPath => Path.Combine(_directory, "helper.sock");

    private HelperHostOperations Client => new(SocketPath, new HelperMetrics(_asked, HelperMetrics.Client));

    public Task InitializeAsync()
    {
        var proc = Path.Combine(_directory, "proc");
        Directory.CreateDirectory(Path.Combine(proc, "self", "ns"));
        File.CreateSymbolicLink(Path.Combine(proc, "self", "ns", "net"), "net:[4026531840]");
        foreach (var (pid, net, cgroup) in new[] { (ContainerPid, "net:[4026532999]", "4:cpu,cpuacct:/docker/0123abcd\n"), (HostProcessPid, "net:[4026531840]", "4:cpu,cpuacct:/user.slice\n") })
        {
            Directory.CreateDirectory(Path.Combine(proc, pid.ToString(), "ns"));
            File.CreateSymbolicLink(Path.Combine(proc, pid.ToString(), "ns", "net"), net);
            File.WriteAllText(Path.Combine(proc, pid.ToString(), "cgroup"), cgroup);
        }

        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(16);
        var helper = new DockerHelper(_host, Network, new HelperMetrics(_served, HelperMetrics.Served), NullLogger<DockerHelper>.Instance, proc);
        _serving = helper.ServeAsync(_listener, _stop.Token);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _serving;
        _listener.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Every_operation_crosses_the_socket_with_its_arguments_and_its_answer()
    {
        var client = Client;
        await client.InstallFirewallAsync(Network, CancellationToken.None);
        Assert.Equal("/scratch/sb-1/mnt", await client.CreateScratchAsync("sb-1", 1L << 30, SandboxUser.Id, SandboxUser.Id, CancellationToken.None));
        Assert.Equal([new ScratchDisk("sb-1", RecordingHost.MadeAt)], await client.ListScratchAsync(CancellationToken.None));
        await client.BlockEmbeddedDnsAsync(ContainerPid, CancellationToken.None);
        await client.SetCpuBurstAsync(ContainerPid, 500_000, CancellationToken.None);
        Assert.Equal(2, await client.CountOomKillsAsync(ContainerPid, CancellationToken.None));
        await client.RemoveScratchAsync("sb-1", CancellationToken.None);
        await client.RemoveFirewallAsync(Network, CancellationToken.None);

        Assert.Equal(
            [
                "firewall.install pd-sandbox0", $"scratch.create sb-1 {1L << 30} {SandboxUser.Id}:{SandboxUser.Id}", "scratch.list",
                $"dns.block {ContainerPid}", $"cpu.burst {ContainerPid} 500000", $"oom.count {ContainerPid}", "scratch.remove sb-1", "firewall.remove pd-sandbox0",
            ],
            _host.Done);
        // Both sides count: what the server asked and what the helper served.
        Assert.Equal(1, Count(_served, "polydev_docker_helper_served_requests_total", "scratch.create", "ok"));
        Assert.Equal(1, Count(_asked, "polydev_docker_helper_client_requests_total", "dns.block", "ok"));
    }

    public static TheoryData<string, Func<IDockerHostOperations, Task>, string> Refused => new()
    {
        { "another network", h => h.InstallFirewallAsync(Network with { BridgeName = "eth0" }, CancellationToken.None), "is not this helper's" },
        { "another egress range", h => h.RemoveFirewallAsync(Network with { EgressLastPort = 65535 }, CancellationToken.None), "is not this helper's" },
        { "a path for an id", h => h.CreateScratchAsync("../../etc", 1L << 30, SandboxUser.Id, SandboxUser.Id, CancellationToken.None), "a sandbox id is" },
        { "a path to remove", h => h.RemoveScratchAsync("sb/../../var", CancellationToken.None), "a sandbox id is" },
        { "a disk of root's", h => h.CreateScratchAsync("sb-2", 1L << 30, 0, 0, CancellationToken.None), "never root's" },
        { "a disk too large", h => h.CreateScratchAsync("sb-3", 1L << 40, SandboxUser.Id, SandboxUser.Id, CancellationToken.None), "1 MiB to 64 GiB" },
        { "init", h => h.BlockEmbeddedDnsAsync(1, CancellationToken.None), "not a container's process" },
        { "a process of the host", h => h.BlockEmbeddedDnsAsync(HostProcessPid, CancellationToken.None), "shares the host's network namespace" },
        { "a process that is not there", h => h.SetCpuBurstAsync(999_999, 500_000, CancellationToken.None), "is not there" },
        { "a burst beyond the host", h => h.SetCpuBurstAsync(ContainerPid, 1_000_000L * (Environment.ProcessorCount + 1), CancellationToken.None), "CPU-seconds" },
        { "an OOM count of the host's", h => h.CountOomKillsAsync(HostProcessPid, CancellationToken.None), "shares the host's network namespace" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_request_outside_what_the_engine_needs_is_refused_with_why_and_nothing_is_done(string what, Func<IDockerHostOperations, Task> ask, string why)
    {
        var refusal = await Assert.ThrowsAsync<SandboxEngineException>(() => ask(Client));
        Assert.True(refusal.Status == 400, what);
        Assert.Contains(why, refusal.Detail, StringComparison.Ordinal);
        Assert.StartsWith("the Docker helper: ", refusal.Detail, StringComparison.Ordinal);
        Assert.Empty(_host.Done);
        Assert.Equal(1, Count(_served, "polydev_docker_helper_served_requests_total", refusal.Operation, "refused"));
    }

    [Fact]
    public async Task An_oom_count_of_a_process_that_has_just_ended_is_answered_not_refused()
    {
        // Docker reported the pid a moment before; the process is gone now (its cgroup counts are the host's to read: 0).
        Assert.Equal(2, await Client.CountOomKillsAsync(999_999, CancellationToken.None));
        Assert.Equal(["oom.count 999999"], _host.Done);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"op\":\"shell\",\"command\":\"rm -rf /\"}")]
    [InlineData("")]
    [InlineData("{\"op\":\"firewall.install\"}")]
    [InlineData("{\"op\":\"scratch.create\",\"bytes\":1073741824,\"uid\":1000,\"gid\":1000}")]
    public async Task Whatever_is_not_a_request_of_the_protocol_is_refused(string request)
    {
        var answer = await RawAsync(Encoding.UTF8.GetBytes(request));
        Assert.False(answer.GetProperty("ok").GetBoolean());
        Assert.Equal(400, answer.GetProperty("status").GetInt32());
        Assert.Empty(_host.Done);
    }

    [Fact]
    public async Task A_request_larger_than_16_KiB_is_refused_unread()
    {
        var answer = await RawAsync(Encoding.UTF8.GetBytes("{\"op\":\"scratch.list\",\"sandboxId\":\"" + new string('a', 20_000) + "\"}"));
        Assert.Equal(400, answer.GetProperty("status").GetInt32());
        Assert.Contains("16 KiB", answer.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(_host.Done);
    }

    [Fact]
    public async Task What_fails_on_the_host_comes_back_as_a_failure_with_the_hosts_words()
    {
        _host.Fail = "mkfs.ext4 failed (1): no space left on device";
        var failure = await Assert.ThrowsAsync<SandboxEngineException>(() => Client.CreateScratchAsync("sb-4", 1L << 30, SandboxUser.Id, SandboxUser.Id, CancellationToken.None));
        Assert.Equal(500, failure.Status);
        Assert.Contains("no space left on device", failure.Detail, StringComparison.Ordinal);
        Assert.Equal(1, Count(_asked, "polydev_docker_helper_client_requests_total", "scratch.create", "failed"));
    }

    [Fact]
    public async Task A_server_whose_helper_is_not_there_says_where_it_looked_and_what_to_start()
    {
        var absent = new HelperHostOperations(Path.Combine(_directory, "absent.sock"), new HelperMetrics(_asked, HelperMetrics.Client));
        var failure = await Assert.ThrowsAsync<SandboxEngineException>(() => absent.BlockEmbeddedDnsAsync(ContainerPid, CancellationToken.None));
        Assert.Equal(503, failure.Status);
        Assert.Contains("absent.sock", failure.Detail, StringComparison.Ordinal);
        Assert.Contains("polydev-docker-helper.socket", failure.Detail, StringComparison.Ordinal);
        Assert.Equal(1, Count(_asked, "polydev_docker_helper_client_requests_total", "dns.block", "unreachable"));
    }

    private async Task<JsonElement> RawAsync(byte[] request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            await stream.WriteAsync(request);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
            // The helper stops reading past 16 KiB and answers at once.
        }

        using var answer = await JsonDocument.ParseAsync(stream);
        return answer.RootElement.Clone();
    }

    private static double Count(CollectorRegistry registry, string name, string operation, string outcome)
    {
        using var text = new MemoryStream();
        registry.CollectAndExportAsTextAsync(text).GetAwaiter().GetResult();
        var line = Encoding.UTF8.GetString(text.ToArray()).Split('\n')
            .SingleOrDefault(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains($"operation=\"{operation}\"", StringComparison.Ordinal) && l.Contains($"outcome=\"{outcome}\"", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Records what it is asked to do and does none of it.</summary>
    private sealed class RecordingHost : IDockerHostOperations
    {
        public static readonly DateTimeOffset MadeAt = new(2026, 12, 5, 1, 0, 0, TimeSpan.Zero);

        public List<string> Done { get; } = [];

        public string? Fail { get; set; }

        public Task InstallFirewallAsync(DockerSandboxNetworkOptions network, CancellationToken cancellationToken) => Record($"firewall.install {network.BridgeName}");

        public Task RemoveFirewallAsync(DockerSandboxNetworkOptions network, CancellationToken cancellationToken) => Record($"firewall.remove {network.BridgeName}");

        public async Task<string> CreateScratchAsync(string sandboxId, long bytes, int uid, int gid, CancellationToken cancellationToken)
        {
            await Record($"scratch.create {sandboxId} {bytes} {uid}:{gid}");
            return $"/scratch/{sandboxId}/mnt";
        }

        public Task RemoveScratchAsync(string sandboxId, CancellationToken cancellationToken) => Record($"scratch.remove {sandboxId}");

        public async Task<IReadOnlyList<ScratchDisk>> ListScratchAsync(CancellationToken cancellationToken)
        {
            await Record("scratch.list");
            return [new ScratchDisk("sb-1", MadeAt)];
        }

        public Task BlockEmbeddedDnsAsync(int pid, CancellationToken cancellationToken) => Record($"dns.block {pid}");

        public Task SetCpuBurstAsync(int pid, long microseconds, CancellationToken cancellationToken) => Record($"cpu.burst {pid} {microseconds}");

        public async Task<long> CountOomKillsAsync(int pid, CancellationToken cancellationToken)
        {
            await Record($"oom.count {pid}");
            return 2;
        }

        private Task Record(string what)
        {
            if (Fail is { } failure)
            {
                throw new SandboxEngineException("docker", "scratch", 500, failure);
            }

            lock (Done)
            {
                Done.Add(what);
            }

            return Task.CompletedTask;
        }
    }
}
