using System.Threading.RateLimiting;

namespace Polydev.Server.Egress.Proxy;

/// <summary>One user's counters and bandwidth bucket; outlives their listener (totals since start).</summary>
internal sealed class UserEgress(Guid userId, long bandwidthBytesPerSecond) : IDisposable
{
    public readonly Guid UserId = userId;

    public long BytesUp;
    public long BytesDown;
    public int ActiveTunnels;

    /// <summary>Totals already handed out by <see cref="UsageLedger.TakeDeltas"/>; guarded by its lock.</summary>
    public long TakenUp;
    public long TakenDown;

    /// <summary>Shared by all the user's connections, both directions; null without a cap.</summary>
    public readonly TokenBucketRateLimiter? Limiter = CreateLimiter(bandwidthBytesPerSecond);

    /// <summary>Largest read while a cap applies, so one acquisition never exceeds the bucket.</summary>
    public readonly int ChunkLimit = bandwidthBytesPerSecond > 0 ? BucketSize(bandwidthBytesPerSecond) : int.MaxValue;

    public EgressUsage Usage => new(Volatile.Read(ref BytesUp), Volatile.Read(ref BytesDown), Volatile.Read(ref ActiveTunnels));

    /// <summary>Waits until the bandwidth cap lets <paramref name="bytes"/> through; at once without a cap.</summary>
    public async ValueTask ThrottleAsync(int bytes, CancellationToken cancellationToken)
    {
        if (Limiter is not { } limiter)
        {
            return;
        }

        while (bytes > 0)
        {
            var permits = Math.Min(bytes, ChunkLimit);
            using var lease = await limiter.AcquireAsync(permits, cancellationToken);
            if (lease.IsAcquired)
            {
                bytes -= permits;
            }
        }
    }

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
