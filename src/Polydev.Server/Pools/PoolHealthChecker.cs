using Microsoft.Extensions.Options;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Pools;

/// <summary>
/// The pools' health pass, every <see cref="SandboxesOptions.HealthInterval"/>: the images' versions, then the ready
/// sandboxes of an old version, idle too long, or whose agent ended are retired. Once a minute it also destroys what
/// this server owns on the engine but accounts for nowhere, and purges old records.
/// </summary>
public sealed class PoolHealthChecker(
    ISandboxEngine engine,
    RuntimeContainerStore store,
    SandboxPools pools,
    SandboxRetirer retirer,
    IOptions<SandboxesOptions> options,
    TimeProvider clock)
{
    /// <summary>Destroyed rows are kept this long for inspection, then purged.</summary>
    private static readonly TimeSpan DestroyedRetention = TimeSpan.FromDays(1);

    /// <summary>How often the orphan sweep and the purge of old rows run.</summary>
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    /// <summary>A sandbox younger than this is never taken for an orphan (it may be between creation and its first record update).</summary>
    private static readonly TimeSpan OrphanGrace = TimeSpan.FromSeconds(30);

    /// <summary>Longest a warm-up may take before its sandbox counts as an orphan.</summary>
    private static readonly TimeSpan WarmingGrace = TimeSpan.FromMinutes(3);

    private DateTimeOffset _nextCheck;
    private DateTimeOffset _nextSweep;

    /// <summary>Runs a pass when one is due.</summary>
    public async Task RunIfDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (now < _nextCheck)
        {
            return;
        }

        await CheckAsync(now, cancellationToken);
        _nextCheck = clock.GetUtcNow() + options.Value.HealthInterval;
    }

    private async Task CheckAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var pool in pools.All)
        {
            await pools.ResolveImageAsync(pool, cancellationToken);
            var version = pool.ImageVersion;
            await RetireReadyAsync(pool, s => s.ImageVersion != version, "image_changed", cancellationToken);
            await RetireReadyAsync(pool, s => now - s.ReadyAt > options.Value.IdleTtl, "idle_ttl", cancellationToken);

            // A waiting agent's output ends when it, or its sandbox, dies: no engine call per sandbox is needed.
            await RetireReadyAsync(pool, s => s.Agent.HasEnded, "unhealthy", cancellationToken);
        }

        if (now >= _nextSweep)
        {
            // Once a minute: these ask the engine and the database about everything this server has.
            _nextSweep = now + SweepInterval;
            await SweepOrphansAsync(now, cancellationToken);
            await store.PurgeDestroyedAsync(DestroyedRetention, cancellationToken);
        }
    }

    private async Task RetireReadyAsync(SandboxPool pool, Func<WarmSandbox, bool> predicate, string reason, CancellationToken cancellationToken)
    {
        foreach (var sandbox in pool.RemoveReady(predicate))
        {
            await retirer.RetireAsync(pool, sandbox, reason, cancellationToken);
        }
    }

    /// <summary>
    /// Destroys what this server owns on the engine but accounts for nowhere in memory — a sandbox whose destroy
    /// failed while the engine was away, say — except those still warming (their record says so, and they are young).
    /// </summary>
    private async Task SweepOrphansAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var orphans = new List<SandboxInfo>();
        foreach (var sandbox in await engine.ListOwnedAsync(pools.ServerId, cancellationToken))
        {
            if (pools.Knows(sandbox.Handle.Id) || now - sandbox.CreatedAt < OrphanGrace)
            {
                continue;
            }

            var record = await store.FindAsync(sandbox.Handle.Id, cancellationToken);
            if (record?.State == RuntimeContainerStates.Warming && now - sandbox.CreatedAt < WarmingGrace)
            {
                continue;
            }

            orphans.Add(sandbox);
        }

        // Counted before the destroys: one found at every sweep is a leak that destroying does not end.
        pools.ReportUnaccounted(orphans);
        foreach (var orphan in orphans)
        {
            await retirer.DestroyAsync(orphan.Handle, orphan.Runtime, "orphan", cancellationToken);
        }
    }
}
