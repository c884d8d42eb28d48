using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Polydev.Server.Observability;
using Prometheus;

namespace Polydev.Server.Sandboxes.Docker.HostOperations;

/// <summary>
/// The host operations asked of <c>polydev docker-helper</c> over its Unix socket (<see cref="DockerEngineOptions.Helper"/>),
/// so the server needs no privilege of its own for them. A refusal or failure of the helper surfaces as the
/// <see cref="SandboxEngineException"/> the in-process operation would have thrown, naming the helper.
/// </summary>
public sealed class HelperHostOperations(string socketPath, HelperMetrics metrics) : IDockerHostOperations
{
    public string SocketPath { get; } = socketPath;

    public Task InstallFirewallAsync(DockerSandboxNetworkOptions network, CancellationToken cancellationToken) =>
        SendAsync(new HelperRequest { Op = HelperProtocol.Operations.InstallFirewall, Network = network }, cancellationToken);

    public Task RemoveFirewallAsync(DockerSandboxNetworkOptions network, CancellationToken cancellationToken) =>
        SendAsync(new HelperRequest { Op = HelperProtocol.Operations.RemoveFirewall, Network = network }, cancellationToken);

    public async Task<string> CreateScratchAsync(string sandboxId, long bytes, int uid, int gid, CancellationToken cancellationToken)
    {
        var response = await SendAsync(new HelperRequest { Op = HelperProtocol.Operations.CreateScratch, SandboxId = sandboxId, Bytes = bytes, Uid = uid, Gid = gid }, cancellationToken);
        return response.Path ?? throw Unexpected(HelperProtocol.Operations.CreateScratch, "no path");
    }

    public Task RemoveScratchAsync(string sandboxId, CancellationToken cancellationToken) =>
        SendAsync(new HelperRequest { Op = HelperProtocol.Operations.RemoveScratch, SandboxId = sandboxId }, cancellationToken);

    public async Task<IReadOnlyList<ScratchDisk>> ListScratchAsync(CancellationToken cancellationToken) =>
        (await SendAsync(new HelperRequest { Op = HelperProtocol.Operations.ListScratch }, cancellationToken)).Disks
        ?? throw Unexpected(HelperProtocol.Operations.ListScratch, "no list");

    public Task BlockEmbeddedDnsAsync(int pid, CancellationToken cancellationToken) =>
        SendAsync(new HelperRequest { Op = HelperProtocol.Operations.BlockEmbeddedDns, Pid = pid }, cancellationToken);

    public Task SetCpuBurstAsync(int pid, long microseconds, CancellationToken cancellationToken) =>
        SendAsync(new HelperRequest { Op = HelperProtocol.Operations.SetCpuBurst, Pid = pid, Microseconds = microseconds }, cancellationToken);

    public async Task<long> CountOomKillsAsync(int pid, CancellationToken cancellationToken) =>
        (await SendAsync(new HelperRequest { Op = HelperProtocol.Operations.CountOomKills, Pid = pid }, cancellationToken)).Count;

    private async Task<HelperResponse> SendAsync(HelperRequest request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "unreachable";
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken);
            }
            catch (SocketException e)
            {
                throw new SandboxEngineException("docker", request.Op, 503,
                    $"the Docker helper is not reachable at {SocketPath} ({e.SocketErrorCode}): start polydev-docker-helper.socket, or unset Sandboxes:Docker:Helper to do its work in the server as root");
            }

            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(request, HelperProtocol.Json), cancellationToken);
            socket.Shutdown(SocketShutdown.Send);
            outcome = "broken";
            HelperResponse response;
            try
            {
                response = await JsonSerializer.DeserializeAsync<HelperResponse>(stream, HelperProtocol.Json, cancellationToken)
                    ?? throw Unexpected(request.Op, "an empty answer");
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                throw Unexpected(request.Op, e.Message);
            }

            if (!response.Ok)
            {
                outcome = response.Status == 400 ? "refused" : "failed";
                throw new SandboxEngineException("docker", request.Op, response.Status is 400 ? 400 : 500, $"the Docker helper: {response.Error}");
            }

            outcome = "ok";
            return response;
        }
        finally
        {
            metrics.Requests.WithLabels(request.Op, outcome).Inc();
            metrics.Duration.WithLabels(request.Op).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private SandboxEngineException Unexpected(string operation, string what) =>
        new("docker", operation, 502, $"the Docker helper at {SocketPath} answered {what}");
}

/// <summary>
/// The Docker helper's series (<c>polydev_docker_helper_*</c>), by operation and outcome; the server counts the requests
/// it makes, the helper the ones it serves (<see cref="HelperMetrics"/>), both with these names and labels.
/// </summary>
public sealed class HelperMetrics
{
    public HelperMetrics(CollectorRegistry registry, string side)
    {
        Requests = registry.Counter(
            $"polydev_docker_helper_{side}_requests_total",
            "Docker helper requests by operation and outcome: ok, refused (the helper would not, as asked), failed (on the host), unreachable (no helper), broken (no answer).",
            "operation", "outcome");
        Duration = registry.Histogram(
            $"polydev_docker_helper_{side}_request_duration_seconds",
            "Time a Docker helper request took, by operation.",
            Histogram.ExponentialBuckets(0.0005, 2, 14),
            "operation");
        foreach (var operation in HelperProtocol.Operations.All)
        {
            // Every series from the start, so a rate over a quiet helper is 0, not absent.
            foreach (var outcome in (string[])["ok", "refused", "failed"])
            {
                Requests.WithLabels(operation, outcome);
            }
        }
    }

    /// <summary>The server's side: what it asked.</summary>
    public const string Client = "client";

    /// <summary>The helper's side: what it served.</summary>
    public const string Served = "served";

    public Counter Requests { get; }

    public Histogram Duration { get; }
}
