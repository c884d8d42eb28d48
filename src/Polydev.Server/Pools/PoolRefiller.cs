using Microsoft.Extensions.Options;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Pools;

/// <summary>
/// Keeps each pool at its warm target: starts warm-ups (at most <see cref="SandboxesOptions.WarmConcurrency"/> at a
/// time, within each kind's ceiling) and puts the ready sandboxes into their pool. A pool short of its target that
/// still has a sandbox ready waits <see cref="SandboxesOptions.RefillDelay"/> from the moment the shortfall was first
/// seen, so that a replacement does not start while the job that took the sandbox starts its CLI.
/// </summary>
public sealed class PoolRefiller
{
    private readonly SandboxPools _pools;
    private readonly SandboxWarmer _warmer;
    private readonly SandboxRetirer _retirer;
    private readonly PoolMetrics _metrics;
    private readonly SemaphoreSlim _warmSlots;
    private readonly List<Task> _warmTasks = [];
    private readonly Lock _warmTasksLock = new();
    private readonly TimeProvider _clock;
    private readonly TimeSpan _refillDelay;

    /// <summary>When each pool was first seen short of its target with a sandbox still ready (the loop's own thread only).</summary>
    private readonly Dictionary<SandboxPool, long> _shortSince = [];

    public PoolRefiller(SandboxPools pools, SandboxWarmer warmer, SandboxRetirer retirer, PoolMetrics metrics, IOptions<SandboxesOptions> options, TimeProvider clock)
    {
        _pools = pools;
        _warmer = warmer;
        _retirer = retirer;
        _metrics = metrics;
        _clock = clock;
        _refillDelay = options.Value.RefillDelay;
        _warmSlots = new SemaphoreSlim(options.Value.WarmConcurrency);
    }

    /// <summary>Starts warm-ups until each pool's ready plus warming sandboxes reach its target, within the ceiling.</summary>
    public void Refill(CancellationToken cancellationToken)
    {
        foreach (var pool in _pools.All)
        {
            if (pool.ImageVersion is not { } version || Deferred(pool))
            {
                continue;
            }

            while (pool.ReadyCount + pool.WarmingCount < pool.WarmTarget && _warmSlots.Wait(0))
            {
                if (!pool.TryReserve())
                {
                    _warmSlots.Release();
                    break;
                }

                pool.BeginWarming();
                var task = WarmIntoPoolAsync(pool, version, cancellationToken);
                lock (_warmTasksLock)
                {
                    _warmTasks.RemoveAll(t => t.IsCompleted);
                    _warmTasks.Add(task);
                }
            }
        }
    }

    /// <summary>Whether <paramref name="pool"/>'s refill waits: short of its target, a sandbox still ready, within the delay.</summary>
    private bool Deferred(SandboxPool pool)
    {
        if (pool.ReadyCount + pool.WarmingCount >= pool.WarmTarget || pool.ReadyCount == 0 || _refillDelay == TimeSpan.Zero)
        {
            _shortSince.Remove(pool);
            return false;
        }

        var now = _clock.GetTimestamp();
        if (!_shortSince.TryGetValue(pool, out var since))
        {
            _shortSince[pool] = now;
            return true;
        }

        // Past the delay it stays past it until the pool is full again (a warm slot may be free only later).
        return _clock.GetElapsedTime(since, now) < _refillDelay;
    }

    /// <summary>
    /// On shutdown, after the warm-ups were cancelled: waits for them, then retires every ready sandbox (each holds a
    /// key for a job that will never come).
    /// </summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        Task[] warming;
        lock (_warmTasksLock)
        {
            warming = [.. _warmTasks];
        }

        await Task.WhenAll(warming).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        foreach (var pool in _pools.All)
        {
            foreach (var sandbox in pool.RemoveReady(_ => true))
            {
                await _retirer.RetireAsync(pool, sandbox, "drain", cancellationToken);
            }
        }
    }

    private async Task WarmIntoPoolAsync(SandboxPool pool, string version, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            var sandbox = await _warmer.WarmAsync(pool.Kind, version, cancellationToken);
            if (cancellationToken.IsCancellationRequested)
            {
                await _retirer.RetireAsync(pool, sandbox, "drain", CancellationToken.None);
                return;
            }

            pool.Add(sandbox);
        }
        catch (Exception e)
        {
            pool.Release(null);
            if (e is not OperationCanceledException)
            {
                _metrics.WarmFailures.WithLabels(pool.Runtime).Inc();
                _pools.EngineDown = true;
            }
        }
        finally
        {
            pool.EndWarming();
            _warmSlots.Release();
            _pools.UpdateGauges();
            _pools.Wake();
        }
    }
}
