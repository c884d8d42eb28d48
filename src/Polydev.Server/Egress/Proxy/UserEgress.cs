using System.Net.Sockets;
using System.Threading.RateLimiting;

namespace Polydev.Server.Egress.Proxy;

/// <summary>One user's counters and bandwidth bucket; outlives their listener (totals since start).</summary>
internal sealed class UserEgress(Guid userId, long bandwidthBytesPerSecond) : IDisposable
{
    public readonly Guid UserId = userId;

    public long BytesUp;
    public long BytesDown;
    public int ActiveTunnels;

    /// <summary>Totals already handed out by <see cref="EgressProxy.TakeUsageDeltas"/>; guarded by the proxy's usage lock.</summary>
    public long TakenUp;
    public long TakenDown;

    /// <summary>Shared by all the user's connections, both directions; null without a cap.</summary>
    public readonly TokenBucketRateLimiter? Limiter = CreateLimiter(bandwidthBytesPerSecond);

    /// <summary>Largest read while a cap applies, so one acquisition never exceeds the bucket.</summary>
    public readonly int ChunkLimit = bandwidthBytesPerSecond > 0 ? BucketSize(bandwidthBytesPerSecond) : int.MaxValue;

    public EgressUsage Usage => new(Volatile.Read(ref BytesUp), Volatile.Read(ref BytesDown), Volatile.Read(ref ActiveTunnels));

    public void Dispose() => Limiter?.Dispose();

    // The bucket refills every 50 ms and holds 200 ms of traffic, so a burst stays short.
    private static TokenBucketRateLimiter? CreateLimiter(long bytesPerSecond) =>
        bytesPerSecond <= 0 ? null : new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = BucketSize(bytesPerSecond),
            TokensPerPeriod = (int)Math.Clamp(bytesPerSecond / 20, 1, int.MaxValue),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(50),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });

    private static int BucketSize(long bytesPerSecond) => (int)Math.Clamp(bytesPerSecond / 5, Math.Max(1, bytesPerSecond / 20), 1 << 20);
}

/// <summary>One open per-user port: its listening socket, accept loop and connections.</summary>
internal sealed class PortListener(UserEgress user, int port, Socket socket, UpstreamEndpoint? upstream)
{
    public UserEgress User { get; } = user;

    public int Port { get; } = port;

    public Socket Socket { get; } = socket;

    /// <summary>The upstream with this user's <c>{port}</c> and <c>{session}</c>; null in direct mode.</summary>
    public UpstreamEndpoint? Upstream { get; } = upstream;

    public CancellationTokenSource Stopping { get; } = new();

    public System.Collections.Concurrent.ConcurrentDictionary<ProxyConnection, byte> Connections { get; } = new();

    /// <summary>Connections not yet authenticated (flood guard).</summary>
    public int Pending;

    public Task AcceptLoop { get; set; } = Task.CompletedTask;
}
