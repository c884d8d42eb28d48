using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Pools;

/// <summary>
/// Destroys sandboxes and records why: one that was handed out (its job ended, failed or never came), one pruned
/// from a pool, or one no pool accounts for. A sandbox is never returned to a pool.
/// </summary>
public sealed class SandboxRetirer(ISandboxEngine engine, RuntimeContainerStore store, SandboxPools pools, PoolMetrics metrics, ILogger<SandboxRetirer> logger)
{
    /// <summary>Destroys a sandbox that was handed out and lets its pool refill.</summary>
    public async Task RetireAsync(WarmSandbox sandbox, string reason, CancellationToken cancellationToken)
    {
        if (pools.Find(sandbox.Runtime) is { } pool)
        {
            await RetireAsync(pool, sandbox, reason, cancellationToken);
        }
        else
        {
            await sandbox.Agent.DisposeAsync();
            await DestroyAsync(sandbox.Handle, sandbox.Runtime, reason, cancellationToken);
        }
    }

    /// <summary>Destroys a sandbox of <paramref name="pool"/> and gives back its room under the ceiling.</summary>
    public async Task RetireAsync(SandboxPool pool, WarmSandbox sandbox, string reason, CancellationToken cancellationToken)
    {
        pool.SetState(sandbox.Id, RuntimeContainerStates.Cooldown);
        try
        {
            await sandbox.Agent.DisposeAsync();
            await DestroyAsync(sandbox.Handle, pool.Runtime, reason, cancellationToken);
        }
        finally
        {
            pool.Release(sandbox.Id);
            pools.UpdateGauges();
            pools.Wake();
        }
    }

    /// <summary>Destroys a sandbox on the engine and closes its record; when the engine is away, the record stays live for the next pass.</summary>
    public async Task DestroyAsync(SandboxHandle handle, string runtime, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await engine.DestroyAsync(handle, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            pools.EngineDown = true;
            PoolLog.MaintenanceFailed(logger, e.Message);
            return;
        }

        await store.MarkDestroyedAsync(handle.Id, reason, CancellationToken.None);
        metrics.Cleanups.WithLabels(runtime, reason).Inc();
        PoolLog.Destroyed(logger, handle.Id, runtime, reason);
    }
}
