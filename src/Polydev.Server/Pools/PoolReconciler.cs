using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Pools;

/// <summary>
/// Brings the engine in line with this server: at start, the network, the images' versions, and every sandbox a
/// previous run left; after an engine outage, the network again.
/// </summary>
/// <remarks>
/// Nothing is adopted: a warm sandbox's key lived only in its agent's memory, and the agent's stdin (the previous
/// server's exec) is gone with that server, so no job could ever reach it.
/// </remarks>
public sealed class PoolReconciler(
    ISandboxEngine engine,
    ISandboxNetworkSetup network,
    RuntimeContainerStore store,
    SandboxPools pools,
    PoolMetrics metrics,
    ILogger<PoolReconciler> logger)
{
    /// <summary>
    /// Before the server takes requests: the network, the images' versions, and reconciliation — every sandbox
    /// this server owns on the engine is destroyed (the pools refill at once), and every record of a sandbox the
    /// engine no longer has is closed.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await network.EnsureAsync(cancellationToken);
        await pools.ResolveImagesAsync(cancellationToken);
        await ReconcileAsync(cancellationToken);
    }

    /// <summary>After an engine call failed: once the engine answers again, its network is checked (the engine may have lost it).</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        if (!pools.EngineDown)
        {
            return;
        }

        await network.EnsureAsync(cancellationToken);
        pools.EngineDown = false;
        PoolLog.EngineRecovered(logger);
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var owned = await engine.ListOwnedAsync(pools.ServerId, cancellationToken);
        var records = (await store.ListLiveAsync(pools.ServerId, cancellationToken)).ToDictionary(r => r.Id, StringComparer.Ordinal);
        int destroyed = 0, missing = 0;
        foreach (var sandbox in owned)
        {
            records.Remove(sandbox.Handle.Id, out var record);
            await engine.DestroyAsync(sandbox.Handle, cancellationToken);
            if (record is not null)
            {
                await store.MarkDestroyedAsync(record.Id, "reconcile", cancellationToken);
            }

            metrics.Cleanups.WithLabels(sandbox.Runtime, "reconcile").Inc();
            PoolLog.Destroyed(logger, sandbox.Handle.Id, sandbox.Runtime, "reconcile");
            destroyed++;
        }

        foreach (var record in records.Values)
        {
            await store.MarkDestroyedAsync(record.Id, "lost", cancellationToken);
            metrics.Cleanups.WithLabels(record.Provider, "lost").Inc();
            missing++;
        }

        PoolLog.Reconciled(logger, pools.ServerId, destroyed, missing);
        pools.UpdateGauges();
    }
}
