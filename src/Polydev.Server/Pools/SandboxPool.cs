using System.Collections.Concurrent;
using Polydev.Server.Runtimes;

namespace Polydev.Server.Pools;

/// <summary>
/// One runtime kind's pool in memory: the ready sandboxes (a queue: allocation is a dequeue, no I/O) and a count
/// of every live sandbox of the kind, held under the ceiling. <see cref="PoolRefiller"/> fills it,
/// <see cref="PoolHealthChecker"/> prunes it, <see cref="SandboxAllocator"/> takes from it.
/// </summary>
public sealed class SandboxPool
{
    private readonly ConcurrentQueue<WarmSandbox> _ready = new();
    private readonly ConcurrentDictionary<string, string> _states = new(StringComparer.Ordinal);
    private int _live;
    private int _warming;

    public SandboxPool(RuntimeKind kind)
    {
        Kind = kind;
    }

    public RuntimeKind Kind { get; }

    /// <summary>The kind's name: the pool's key and metric label.</summary>
    public string Runtime => Kind.Name;

    public string Image => Kind.Image;

    public int WarmTarget => Kind.WarmTarget;

    public int MaxSandboxes => Kind.MaxSandboxes;

    /// <summary>The image version now served; null while the image is missing on the engine.</summary>
    public string? ImageVersion { get; set; }

    public int ReadyCount => _ready.Count;

    public int WarmingCount => Volatile.Read(ref _warming);

    /// <summary>Live sandboxes of this kind in any state but destroyed.</summary>
    public int LiveCount => Volatile.Read(ref _live);

    /// <summary>Reserves room for one more sandbox under the ceiling; false when the ceiling is reached.</summary>
    public bool TryReserve()
    {
        while (true)
        {
            var live = Volatile.Read(ref _live);
            if (live >= MaxSandboxes)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _live, live + 1, live) == live)
            {
                return true;
            }
        }
    }

    /// <summary>Gives back a reservation: the sandbox is destroyed, or was never made.</summary>
    public void Release(string? sandboxId)
    {
        Interlocked.Decrement(ref _live);
        if (sandboxId is not null)
        {
            _states.TryRemove(sandboxId, out _);
        }
    }

    public void BeginWarming() => Interlocked.Increment(ref _warming);

    public void EndWarming() => Interlocked.Decrement(ref _warming);

    public void Add(WarmSandbox sandbox)
    {
        _states[sandbox.Id] = RuntimeContainerStates.Ready;
        _ready.Enqueue(sandbox);
    }

    /// <summary>Takes a ready sandbox of the current image version; stale ones met on the way are returned in <paramref name="stale"/> for retirement.</summary>
    public bool TryTake(out WarmSandbox sandbox, List<WarmSandbox> stale)
    {
        while (_ready.TryDequeue(out var candidate))
        {
            if (candidate.ImageVersion != ImageVersion)
            {
                stale.Add(candidate);
                continue;
            }

            _states[candidate.Id] = RuntimeContainerStates.Assigned;
            sandbox = candidate;
            return true;
        }

        sandbox = null!;
        return false;
    }

    /// <summary>Removes and returns every ready sandbox the predicate picks (idle too long, old image, unhealthy).</summary>
    public List<WarmSandbox> RemoveReady(Func<WarmSandbox, bool> predicate)
    {
        var removed = new List<WarmSandbox>();
        var count = _ready.Count;
        for (var i = 0; i < count && _ready.TryDequeue(out var sandbox); i++)
        {
            if (predicate(sandbox))
            {
                removed.Add(sandbox);
            }
            else
            {
                _ready.Enqueue(sandbox);
            }
        }

        return removed;
    }

    public IReadOnlyList<WarmSandbox> SnapshotReady() => _ready.ToArray();

    public void SetState(string sandboxId, string state) => _states[sandboxId] = state;

    /// <summary>Whether this pool accounts for the sandbox (ready, handed out or being destroyed).</summary>
    public bool Knows(string sandboxId) => _states.ContainsKey(sandboxId);

    /// <summary>How many live sandboxes are in each state (warming counted separately).</summary>
    public Dictionary<string, int> CountByState()
    {
        var counts = RuntimeContainerStates.Live.ToDictionary(s => s, _ => 0, StringComparer.Ordinal);
        counts[RuntimeContainerStates.Warming] = WarmingCount;
        foreach (var state in _states.Values)
        {
            if (state != RuntimeContainerStates.Warming && counts.ContainsKey(state))
            {
                counts[state]++;
            }
        }

        counts[RuntimeContainerStates.Ready] = _ready.Count;
        return counts;
    }
}
