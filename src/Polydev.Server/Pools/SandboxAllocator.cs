using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Pools;

/// <summary>
/// Leases sandboxes of a runtime kind: from its pool when one is ready (no I/O but one database update), else
/// created now within the kind's ceiling. A leased sandbox runs one job and is then retired, never returned.
/// </summary>
public sealed class SandboxAllocator(
    SandboxPools pools,
    RuntimeContainerStore store,
    SandboxWarmer warmer,
    SandboxRetirer retirer,
    PoolMetrics metrics,
    ILogger<SandboxAllocator> logger)
{
    /// <summary>This server's owner id on the engine.</summary>
    public string ServerId => pools.ServerId;

    /// <summary>A sandbox of <paramref name="runtime"/> for <paramref name="leaseId"/>. Throws <see cref="SandboxUnavailableException"/> when none can be had.</summary>
    public async Task<AllocatedSandbox> AllocateAsync(string runtime, string leaseId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (pools.Find(runtime) is not { } pool)
        {
            metrics.Refused.WithLabels(runtime).Inc();
            throw new SandboxUnavailableException($"This server runs no {runtime} sandboxes (Sandboxes:Runtimes:{runtime}:Enabled is false).");
        }

        if (await TakeReadyAsync(pool, leaseId, cancellationToken) is { } warm)
        {
            return Allocated(pool, warm, warm: true, started);
        }

        if (pool.ImageVersion is null)
        {
            await pools.ResolveImageAsync(pool, cancellationToken);
        }

        var version = pool.ImageVersion ?? throw new SandboxUnavailableException(
            $"The {runtime} runtime image ({pool.Image}) is not on this server's sandbox engine; the operator must build it with 'polydev images build'.");
        if (!pool.TryReserve())
        {
            metrics.Refused.WithLabels(runtime).Inc();
            throw new SandboxUnavailableException($"Every {runtime} sandbox this server may run ({pool.MaxSandboxes}) is in use; try again shortly.");
        }

        WarmSandbox cold;
        try
        {
            cold = await warmer.WarmAsync(pool.Kind, version, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            pool.Release(null);
            metrics.WarmFailures.WithLabels(runtime).Inc();
            throw new SandboxUnavailableException($"A {runtime} sandbox could not be started: {e.Message}", e);
        }
        catch
        {
            pool.Release(null);
            throw;
        }

        await store.TransitionAsync(cold.Id, RuntimeContainerStates.Ready, RuntimeContainerStates.Assigned, leaseId, CancellationToken.None);
        pool.SetState(cold.Id, RuntimeContainerStates.Assigned);
        return Allocated(pool, cold, warm: false, started);
    }

    /// <summary>Records that a leased sandbox now runs its job.</summary>
    public async Task MarkExecutingAsync(WarmSandbox sandbox, CancellationToken cancellationToken)
    {
        await store.TransitionAsync(sandbox.Id, RuntimeContainerStates.Assigned, RuntimeContainerStates.Executing, null, cancellationToken);
        pools.Find(sandbox.Runtime)?.SetState(sandbox.Id, RuntimeContainerStates.Executing);
        pools.UpdateGauges();
    }

    /// <summary>Destroys a leased sandbox (its job ended, failed or never came) and lets the pool refill.</summary>
    public Task RetireAsync(WarmSandbox sandbox, string reason, CancellationToken cancellationToken) =>
        retirer.RetireAsync(sandbox, reason, cancellationToken);

    private async Task<WarmSandbox?> TakeReadyAsync(SandboxPool pool, string leaseId, CancellationToken cancellationToken)
    {
        var stale = new List<WarmSandbox>();
        try
        {
            while (pool.TryTake(out var sandbox, stale))
            {
                if (await store.TransitionAsync(sandbox.Id, RuntimeContainerStates.Ready, RuntimeContainerStates.Assigned, leaseId, cancellationToken))
                {
                    return sandbox;
                }

                // Its record moved under us (a reconcile from another process would be a bug): never hand it out.
                stale.Add(sandbox);
            }

            return null;
        }
        finally
        {
            foreach (var sandbox in stale)
            {
                _ = retirer.RetireAsync(pool, sandbox, "image_changed", CancellationToken.None);
            }

            pools.Wake();
        }
    }

    private AllocatedSandbox Allocated(SandboxPool pool, WarmSandbox sandbox, bool warm, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        var path = warm ? "warm" : "cold";
        metrics.Allocation.WithLabels(pool.Runtime, path).Observe(elapsed.TotalSeconds);
        PoolLog.Allocated(logger, sandbox.Id, pool.Runtime, path, elapsed.TotalMilliseconds);
        pools.UpdateGauges();
        return new AllocatedSandbox(sandbox, warm, elapsed);
    }
}
