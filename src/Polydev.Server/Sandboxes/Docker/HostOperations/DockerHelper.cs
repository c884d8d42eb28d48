using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Sandboxes.Docker.HostOperations;

/// <summary>
/// <c>polydev docker-helper</c>'s work: it answers requests on its Unix socket with <see cref="LocalHostOperations"/>,
/// and only requests it can check are what the Docker engine asks for. Its caller (the server, running unprivileged)
/// is trusted with sandboxes, not with the host: it cannot name another network than the one the helper's own
/// configuration describes, a path outside the scratch root, root as a disk's owner, or a process outside a container.
/// It holds no secret and returns nothing but paths, scratch ids and counts.
/// </summary>
public sealed partial class DockerHelper(IDockerHostOperations host, DockerSandboxNetworkOptions network, HelperMetrics metrics, ILogger<DockerHelper> logger, string procRoot = "/proc")
{
    /// <summary>The largest scratch disk it makes (the default is 1 GB).</summary>
    public const long MaxScratchBytes = 64L << 30;

    private const long MinScratchBytes = 1L << 20;

    /// <summary>Serves <paramref name="listener"/> (bound and listening) until <paramref name="cancellationToken"/>; each connection one request.</summary>
    public async Task ServeAsync(Socket listener, CancellationToken cancellationToken)
    {
        DockerHelperLog.Serving(logger, listener.LocalEndPoint?.ToString() ?? "?", network.Name, network.BridgeName);
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            _ = Task.Run(() => ServeConnectionAsync(connection, cancellationToken), CancellationToken.None);
        }
    }

    private async Task ServeConnectionAsync(Socket connection, CancellationToken cancellationToken)
    {
        using var _ = connection;
        await using var stream = new NetworkStream(connection, ownsSocket: false);
        HelperResponse response;
        var operation = "unknown";
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(1));
            var request = await ReadRequestAsync(stream, timeout.Token);
            operation = request is not null && HelperProtocol.Operations.All.Contains(request.Op) ? request.Op : "unknown";
            response = request is null ? HelperResponse.Refused("the request is not one JSON object of at most 16 KiB") : await HandleAsync(request, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var outcome = response.Ok ? "ok" : response.Status == 400 ? "refused" : "failed";
        metrics.Requests.WithLabels(operation, outcome).Inc();
        metrics.Duration.WithLabels(operation).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        var peer = PeerCredentials.Of(connection);
        if (response.Ok)
        {
            DockerHelperLog.Served(logger, operation, peer.Uid, peer.Pid, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        else
        {
            DockerHelperLog.NotServed(logger, operation, outcome, peer.Uid, peer.Pid, response.Error ?? "");
        }

        try
        {
            await stream.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(response, HelperProtocol.Json), cancellationToken);
        }
        catch (IOException)
        {
            // The caller gave up (its own cancellation); what was done stays done and is logged above.
        }
    }

    private static async Task<HelperRequest?> ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[HelperProtocol.MaxRequestBytes + 1];
        var length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
            if (length > HelperProtocol.MaxRequestBytes)
            {
                // Read on (to 1 MiB) and drop it, so the refusal reaches a caller still writing: a Unix socket closed
                // with unread data resets the connection, answer and all.
                for (var dropped = length; dropped < 1 << 20 && (read = await stream.ReadAsync(buffer, cancellationToken)) > 0; dropped += read)
                {
                }

                return null;
            }
        }

        try
        {
            return JsonSerializer.Deserialize<HelperRequest>(buffer.AsSpan(0, length), HelperProtocol.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Checks the request, then does it; never throws for what the request or the host did.</summary>
    public async Task<HelperResponse> HandleAsync(HelperRequest request, CancellationToken cancellationToken)
    {
        if (Refusal(request) is { } refusal)
        {
            return HelperResponse.Refused(refusal);
        }

        try
        {
            switch (request.Op)
            {
                case HelperProtocol.Operations.InstallFirewall:
                    await host.InstallFirewallAsync(network, cancellationToken);
                    return new HelperResponse { Ok = true };
                case HelperProtocol.Operations.RemoveFirewall:
                    await host.RemoveFirewallAsync(network, cancellationToken);
                    return new HelperResponse { Ok = true };
                case HelperProtocol.Operations.CreateScratch:
                    return new HelperResponse { Ok = true, Path = await host.CreateScratchAsync(request.SandboxId!, request.Bytes, request.Uid, request.Gid, cancellationToken) };
                case HelperProtocol.Operations.RemoveScratch:
                    await host.RemoveScratchAsync(request.SandboxId!, cancellationToken);
                    return new HelperResponse { Ok = true };
                case HelperProtocol.Operations.ListScratch:
                    return new HelperResponse { Ok = true, Disks = [.. await host.ListScratchAsync(cancellationToken)] };
                case HelperProtocol.Operations.BlockEmbeddedDns:
                    await host.BlockEmbeddedDnsAsync(request.Pid, cancellationToken);
                    return new HelperResponse { Ok = true };
                case HelperProtocol.Operations.SetCpuBurst:
                    await host.SetCpuBurstAsync(request.Pid, request.Microseconds, cancellationToken);
                    return new HelperResponse { Ok = true };
                default:
                    return new HelperResponse { Ok = true, Count = await host.CountOomKillsAsync(request.Pid, cancellationToken) };
            }
        }
        catch (Exception e) when (e is SandboxEngineException or IOException or UnauthorizedAccessException)
        {
            return HelperResponse.Failed(e.Message);
        }
    }

    /// <summary>Why the request is not done as asked, or null when it may be.</summary>
    private string? Refusal(HelperRequest request)
    {
        switch (request.Op)
        {
            case HelperProtocol.Operations.InstallFirewall or HelperProtocol.Operations.RemoveFirewall:
                // The chain matches on an interface: a caller free to name one could cut the host off (eth0 → DROP).
                return request.Network == network ? null
                    : $"the network asked for ({Describe(request.Network)}) is not this helper's ({Describe(network)}); give both the same Sandboxes:Docker:Network, Egress and Login:Turn settings";
            case HelperProtocol.Operations.CreateScratch:
                return SandboxIdRefusal(request.SandboxId)
                    ?? (request.Bytes is < MinScratchBytes or > MaxScratchBytes ? $"a scratch disk is 1 MiB to 64 GiB, not {request.Bytes} bytes" : null)
                    ?? (request.Uid <= 0 || request.Gid <= 0 ? "a scratch disk is never root's" : null);
            case HelperProtocol.Operations.RemoveScratch:
                return SandboxIdRefusal(request.SandboxId);
            case HelperProtocol.Operations.ListScratch:
                return null;
            case HelperProtocol.Operations.BlockEmbeddedDns:
                return ContainerRefusal(request.Pid);
            case HelperProtocol.Operations.CountOomKills:
                // Asked right after Docker reported the process: one that has just ended counts no OOM kill (0).
                return ContainerRefusal(request.Pid, goneIsNone: true);
            case HelperProtocol.Operations.SetCpuBurst:
                return ContainerRefusal(request.Pid)
                    ?? (request.Microseconds < 1000 || request.Microseconds > Environment.ProcessorCount * 1_000_000L
                        ? $"a burst is 1 ms to this host's {Environment.ProcessorCount} CPU-seconds, not {request.Microseconds} µs" : null);
            default:
                return $"'{request.Op}' is not an operation of the Docker helper ({string.Join(", ", HelperProtocol.Operations.All)})";
        }
    }

    private static string? SandboxIdRefusal(string? sandboxId) =>
        sandboxId is not null && SandboxId().IsMatch(sandboxId) ? null : "a sandbox id is 1–64 letters, digits, '-' or '_'";

    /// <summary>The process must be a container's: in a network namespace other than the helper's, and in a Docker cgroup.</summary>
    private string? ContainerRefusal(int pid, bool goneIsNone = false)
    {
        if (pid <= 1)
        {
            return $"{pid} is not a container's process";
        }

        var process = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture));
        if (!Directory.Exists(process))
        {
            return goneIsNone ? null : $"process {pid} is not there";
        }

        try
        {
            var own = new FileInfo(Path.Combine(procRoot, "self", "ns", "net")).LinkTarget;
            var its = new FileInfo(Path.Combine(process, "ns", "net")).LinkTarget;
            if (its is null)
            {
                // An ending process (a zombie) has given up its namespaces already.
                return goneIsNone ? null : $"process {pid} is ending: it has no network namespace";
            }

            if (its == own)
            {
                return $"process {pid} shares the host's network namespace: it is not a sandbox";
            }

            var cgroup = File.ReadAllText(Path.Combine(process, "cgroup"));
            return cgroup.Contains("docker", StringComparison.Ordinal) ? null : $"process {pid} is not in a Docker container's cgroup";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"process {pid} is not there ({e.Message})";
        }
    }

    private static string Describe(DockerSandboxNetworkOptions? n) => n is null ? "none"
        : $"{n.Name} on {n.BridgeName}, {n.Subnet}, egress {n.EgressFirstPort}–{n.EgressLastPort}, TURN {n.TurnPort}, relay {n.RelayPort}";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex SandboxId();
}

/// <summary>The uid and pid of a Unix socket's peer (<c>SO_PEERCRED</c>), for the log; -1 where the platform has none.</summary>
internal readonly record struct PeerCredentials(int Pid, int Uid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    public static PeerCredentials Of(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new(-1, -1);
        }

        Span<byte> ucred = stackalloc byte[12];
        try
        {
            socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
            return new(BitConverter.ToInt32(ucred[..4]), BitConverter.ToInt32(ucred[4..8]));
        }
        catch (SocketException)
        {
            return new(-1, -1);
        }
    }
}

internal static partial class DockerHelperLog
{
    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Docker helper serving on {Socket} for network {Network} on {Bridge}.")]
    public static partial void Serving(ILogger logger, string socket, string network, string bridge);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Information, Message = "Docker helper did {Operation} for uid {PeerUid} (pid {PeerPid}) in {ElapsedMs:F1} ms.")]
    public static partial void Served(ILogger logger, string operation, int peerUid, int peerPid, double elapsedMs);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Warning, Message = "Docker helper did not do {Operation} ({Outcome}) for uid {PeerUid} (pid {PeerPid}): {Reason}")]
    public static partial void NotServed(ILogger logger, string operation, string outcome, int peerUid, int peerPid, string reason);
}
