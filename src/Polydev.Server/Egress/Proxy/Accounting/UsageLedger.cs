using System.Collections.Concurrent;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// Every user's <see cref="UserEgress"/> since the process started, and what of their byte
/// totals is already handed to <see cref="EgressService"/> for the database.
/// </summary>
internal sealed class UsageLedger(long bandwidthBytesPerSecond) : IDisposable
{
    private readonly ConcurrentDictionary<Guid, UserEgress> _users = new();
    private readonly Lock _gate = new();

    /// <summary>The user's counters and bandwidth bucket, created the first time their port opens.</summary>
    public UserEgress For(Guid userId) => _users.GetOrAdd(userId, id => new UserEgress(id, bandwidthBytesPerSecond));

    public EgressUsage Get(Guid userId) =>
        _users.TryGetValue(userId, out var user) ? user.Usage : default;

    /// <summary>
    /// Per user, bytes moved since the previous call (ActiveTunnels is the current count), for
    /// users with new bytes or open connections.
    /// </summary>
    public IReadOnlyDictionary<Guid, EgressUsage> TakeDeltas()
    {
        var deltas = new Dictionary<Guid, EgressUsage>();
        lock (_gate)
        {
            foreach (var user in _users.Values)
            {
                var up = Volatile.Read(ref user.BytesUp);
                var down = Volatile.Read(ref user.BytesDown);
                var active = Volatile.Read(ref user.ActiveTunnels);
                if (up != user.TakenUp || down != user.TakenDown || active != 0)
                {
                    deltas[user.UserId] = new EgressUsage(up - user.TakenUp, down - user.TakenDown, active);
                    user.TakenUp = up;
                    user.TakenDown = down;
                }
            }
        }

        return deltas;
    }

    public void Dispose()
    {
        foreach (var user in _users.Values)
        {
            user.Dispose();
        }
    }
}
