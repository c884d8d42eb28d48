using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Contracts;
using Polydev.Contracts.Executions;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Pools;

/// <summary>
/// The warm pools of every provider: reconciles with the engine at start, keeps each pool at its target in the
/// background, hands sandboxes out (an in-memory dequeue; an empty pool falls back to creating one), checks
/// health, recycles idle sandboxes and those of an old image version, and drains on shutdown.
/// </summary>
/// <remarks>
/// A sandbox runs exactly one job: whatever happens to it after allocation, it is destroyed, never returned to
/// the pool. So "handed out twice" cannot happen in memory (a dequeue), and after a restart nothing is adopted:
/// a warm sandbox's key lives only in its waiting agent, which only the server that started it can talk to.
/// </remarks>
public sealed class PoolManager : BackgroundService
{
    /// <summary>Destroyed rows are kept this long for inspection, then purged.</summary>
    private static readonly TimeSpan DestroyedRetention = TimeSpan.FromDays(1);

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>How often the orphan and leftover sweeps and the purge of old rows run.</summary>
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    /// <summary>A sandbox younger than this is never taken for an orphan (it may be between creation and its first record update).</summary>
    private static readonly TimeSpan OrphanGrace = TimeSpan.FromSeconds(30);

    /// <summary>Longest a warm-up may take before its sandbox counts as an orphan.</summary>
    private static readonly TimeSpan WarmingGrace = TimeSpan.FromMinutes(3);

    private readonly ISandboxEngine _engine;
    private readonly ISandboxNetworkSetup _network;
    private readonly SandboxWarmer _warmer;
    private readonly RuntimeContainerStore _store;
    private readonly PoolMetrics _metrics;
    private readonly SandboxesOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Dictionary<string, SandboxPool> _pools;
    private readonly SemaphoreSlim _warmSlots;
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _warmTasks = [];
    private readonly Lock _warmTasksLock = new();
    private bool _engineDown;
    private DateTimeOffset _nextSweep;

    public PoolManager(
        ISandboxEngine engine,
        ISandboxNetworkSetup network,
        SandboxWarmer warmer,
        RuntimeContainerStore store,
        PoolMetrics metrics,
        IOptions<SandboxesOptions> options,
        TimeProvider clock,
        ILogger<PoolManager> logger)
    {
        _engine = engine;
        _network = network;
        _warmer = warmer;
        _store = store;
        _metrics = metrics;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
        _warmSlots = new SemaphoreSlim(_options.WarmConcurrency);
        _pools = Providers.All
            .Where(p => _options.For(p).Enabled)
            .ToDictionary(p => p, p => new SandboxPool(p, _options.For(p).ImageFor(p), _options.For(p).WarmTarget, _options.For(p).MaxSandboxes), StringComparer.Ordinal);
    }

    public string ServerId => _options.EffectiveServerId;

    public IReadOnlyCollection<SandboxPool> Pools => _pools.Values;

    public SandboxPool? Pool(string provider) => _pools.GetValueOrDefault(provider);

    /// <summary>
    /// Before the server takes requests: the network, the images' versions, and reconciliation — every sandbox
    /// this server owns on the engine is destroyed (the pool refills at once), and every record of a sandbox the
    /// engine no longer has is closed.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _network.EnsureAsync(cancellationToken);
        foreach (var pool in _pools.Values)
        {
            await ResolveImageAsync(pool, cancellationToken);
        }

        await ReconcileAsync(cancellationToken);
    }

    /// <summary>
    /// A sandbox for a new execution: from the pool when one is ready (no I/O but one database update), else
    /// created now. Throws <see cref="SandboxUnavailableException"/> when neither is possible.
    /// </summary>
    public async Task<AllocatedSandbox> AllocateAsync(string provider, string executionId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (!_pools.TryGetValue(provider, out var pool))
        {
            _metrics.Refused.WithLabels(provider).Inc();
            throw new SandboxUnavailableException($"This server runs no {provider} sandboxes (Sandboxes:Providers:{provider}:Enabled is false).");
        }

        var stale = new List<WarmSandbox>();
        try
        {
            while (pool.TryTake(out var sandbox, stale))
            {
                if (await _store.TransitionAsync(sandbox.Id, RuntimeContainerStates.Ready, RuntimeContainerStates.Assigned, executionId, cancellationToken))
                {
                    return Allocated(pool, sandbox, warm: true, started);
                }

                // Its record moved under us (a reconcile from another process would be a bug): never hand it out.
                stale.Add(sandbox);
            }
        }
        finally
        {
            foreach (var sandbox in stale)
            {
                _ = RetireAsync(pool, sandbox, "image_changed", CancellationToken.None);
            }

            Wake();
        }

        if (pool.ImageVersion is not { } version)
        {
            await ResolveImageAsync(pool, cancellationToken);
            version = pool.ImageVersion ?? throw new SandboxUnavailableException(
                $"The {provider} runtime image ({pool.Image}) is not on this server's sandbox engine; the operator must build it with 'polydev images build'.");
        }

        if (!pool.TryReserve())
        {
            _metrics.Refused.WithLabels(provider).Inc();
            throw new SandboxUnavailableException($"Every {provider} sandbox this server may run ({pool.MaxSandboxes}) is in use; try again shortly.");
        }

        WarmSandbox cold;
        try
        {
            cold = await _warmer.WarmAsync(provider, pool.Image, version, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            pool.Release(null);
            _metrics.WarmFailures.WithLabels(provider).Inc();
            throw new SandboxUnavailableException($"A {provider} sandbox could not be started: {e.Message}", e);
        }
        catch
        {
            pool.Release(null);
            throw;
        }

        await _store.TransitionAsync(cold.Id, RuntimeContainerStates.Ready, RuntimeContainerStates.Assigned, executionId, CancellationToken.None);
        pool.SetState(cold.Id, RuntimeContainerStates.Assigned);
        return Allocated(pool, cold, warm: false, started);
    }

    /// <summary>Records that an allocated sandbox now runs its job.</summary>
    public async Task MarkExecutingAsync(string provider, string sandboxId, CancellationToken cancellationToken)
    {
        await _store.TransitionAsync(sandboxId, RuntimeContainerStates.Assigned, RuntimeContainerStates.Executing, null, cancellationToken);
        Pool(provider)?.SetState(sandboxId, RuntimeContainerStates.Executing);
        UpdateGauges();
    }

    /// <summary>Destroys a sandbox that was handed out (its job ended, failed or never came) and lets the pool refill.</summary>
    public async Task RetireAsync(WarmSandbox sandbox, string reason, CancellationToken cancellationToken)
    {
        if (_pools.TryGetValue(sandbox.Provider, out var pool))
        {
            await RetireAsync(pool, sandbox, reason, cancellationToken);
        }
        else
        {
            await sandbox.Agent.DisposeAsync();
            await DestroyUnpooledAsync(sandbox.Handle, sandbox.Provider, reason, cancellationToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
        Task[] warming;
        lock (_warmTasksLock)
        {
            warming = [.. _warmTasks];
        }

        await Task.WhenAll(warming).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);

        // Drain: ready sandboxes hold keys for jobs that will never come.
        foreach (var pool in _pools.Values)
        {
            foreach (var sandbox in pool.RemoveReady(_ => true))
            {
                await RetireAsync(pool, sandbox, "drain", cancellationToken);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _stopping.Token);
        var token = linked.Token;
        var nextHealth = _clock.GetUtcNow();
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (_clock.GetUtcNow() >= nextHealth)
                {
                    await CheckHealthAsync(token);
                    nextHealth = _clock.GetUtcNow() + _options.HealthInterval;
                }

                Refill(token);
                UpdateGauges();
                if (_engineDown)
                {
                    await _network.EnsureAsync(token);
                    _engineDown = false;
                    PoolLog.EngineRecovered(_logger);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                _engineDown = true;
                PoolLog.MaintenanceFailed(_logger, e.Message);
                await Task.Delay(RetryDelay, _clock, token).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            try
            {
                await _wake.WaitAsync(_options.HealthInterval < TimeSpan.FromSeconds(1) ? _options.HealthInterval : TimeSpan.FromSeconds(1), token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void Wake() => _wake.Release();

    private AllocatedSandbox Allocated(SandboxPool pool, WarmSandbox sandbox, bool warm, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        var path = warm ? "warm" : "cold";
        _metrics.Allocation.WithLabels(pool.Provider, path).Observe(elapsed.TotalSeconds);
        PoolLog.Allocated(_logger, sandbox.Id, pool.Provider, path, elapsed.TotalMilliseconds);
        UpdateGauges();
        return new AllocatedSandbox(sandbox, warm, elapsed);
    }

    /// <summary>Starts warm-ups until each pool's ready plus warming sandboxes reach its target, within the ceiling.</summary>
    private void Refill(CancellationToken cancellationToken)
    {
        foreach (var pool in _pools.Values)
        {
            if (pool.ImageVersion is not { } version)
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

    private async Task WarmIntoPoolAsync(SandboxPool pool, string version, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            var sandbox = await _warmer.WarmAsync(pool.Provider, pool.Image, version, cancellationToken);
            if (cancellationToken.IsCancellationRequested)
            {
                await RetireAsync(pool, sandbox, "drain", CancellationToken.None);
                return;
            }

            pool.Add(sandbox);
        }
        catch (Exception e)
        {
            pool.Release(null);
            if (e is not OperationCanceledException)
            {
                _metrics.WarmFailures.WithLabels(pool.Provider).Inc();
                _engineDown = true;
            }
        }
        finally
        {
            pool.EndWarming();
            _warmSlots.Release();
            UpdateGauges();
            Wake();
        }
    }

    private async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        foreach (var pool in _pools.Values)
        {
            await ResolveImageAsync(pool, cancellationToken);
            var version = pool.ImageVersion;
            foreach (var sandbox in pool.RemoveReady(s => s.ImageVersion != version))
            {
                await RetireAsync(pool, sandbox, "image_changed", cancellationToken);
            }

            foreach (var sandbox in pool.RemoveReady(s => now - s.ReadyAt > _options.IdleTtl))
            {
                await RetireAsync(pool, sandbox, "idle_ttl", cancellationToken);
            }

            // A waiting agent's output ends when it, or its container, dies: no engine call per sandbox is needed.
            foreach (var sandbox in pool.RemoveReady(s => s.Agent.HasEnded))
            {
                await RetireAsync(pool, sandbox, "unhealthy", cancellationToken);
            }
        }

        if (now >= _nextSweep)
        {
            // Once a minute: these ask the engine about everything this server (or this host) has.
            _nextSweep = now + SweepInterval;
            await SweepOrphansAsync(now, cancellationToken);
            await _engine.CollectLeftoversAsync(WarmingGrace, cancellationToken);
            await _store.PurgeDestroyedAsync(DestroyedRetention, cancellationToken);
        }
    }

    /// <summary>
    /// Destroys what this server owns on the engine but accounts for nowhere in memory — a sandbox whose destroy
    /// failed while the engine was away, say — except those still warming (their record says so, and they are young).
    /// </summary>
    private async Task SweepOrphansAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var owned = await _engine.ListOwnedAsync(ServerId, cancellationToken);
        foreach (var sandbox in owned)
        {
            if (_pools.Values.Any(p => p.Knows(sandbox.Handle.Id)) || now - sandbox.CreatedAt < OrphanGrace)
            {
                continue;
            }

            var record = await _store.FindAsync(sandbox.Handle.Id, cancellationToken);
            if (record?.State == RuntimeContainerStates.Warming && now - sandbox.CreatedAt < WarmingGrace)
            {
                continue;
            }

            await DestroyUnpooledAsync(sandbox.Handle, sandbox.Provider, "orphan", cancellationToken);
        }
    }

    private async Task ResolveImageAsync(SandboxPool pool, CancellationToken cancellationToken)
    {
        var version = await _engine.ResolveImageVersionAsync(pool.Image, cancellationToken);
        if (version == pool.ImageVersion)
        {
            return;
        }

        pool.ImageVersion = version;
        if (version is null)
        {
            PoolLog.ImageMissing(_logger, pool.Provider, pool.Image);
        }
        else
        {
            PoolLog.ImageVersion(_logger, pool.Provider, pool.Image, version);
        }
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var owned = await _engine.ListOwnedAsync(ServerId, cancellationToken);
        var records = (await _store.ListLiveAsync(ServerId, cancellationToken)).ToDictionary(r => r.Id, StringComparer.Ordinal);
        int destroyed = 0, missing = 0;
        foreach (var sandbox in owned)
        {
            // Nothing is adopted: a warm sandbox's key lived only in its agent's memory, and the agent's stdin (the
            // previous server's exec) is gone with that server, so no job could ever reach it.
            records.Remove(sandbox.Handle.Id, out var record);
            await _engine.DestroyAsync(sandbox.Handle, cancellationToken);
            if (record is not null)
            {
                await _store.MarkDestroyedAsync(record.Id, "reconcile", cancellationToken);
            }

            _metrics.Cleanups.WithLabels(sandbox.Provider, "reconcile").Inc();
            PoolLog.Destroyed(_logger, sandbox.Handle.Id, sandbox.Provider, "reconcile");
            destroyed++;
        }

        foreach (var record in records.Values)
        {
            await _store.MarkDestroyedAsync(record.Id, "lost", cancellationToken);
            _metrics.Cleanups.WithLabels(record.Provider, "lost").Inc();
            missing++;
        }

        PoolLog.Reconciled(_logger, ServerId, destroyed, missing);
        UpdateGauges();
    }

    private async Task RetireAsync(SandboxPool pool, WarmSandbox sandbox, string reason, CancellationToken cancellationToken)
    {
        pool.SetState(sandbox.Id, RuntimeContainerStates.Cooldown);
        try
        {
            await sandbox.Agent.DisposeAsync();
            await DestroyUnpooledAsync(sandbox.Handle, pool.Provider, reason, cancellationToken);
        }
        finally
        {
            pool.Release(sandbox.Id);
            UpdateGauges();
            Wake();
        }
    }

    private async Task DestroyUnpooledAsync(SandboxHandle handle, string provider, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await _engine.DestroyAsync(handle, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The engine is away; the record stays live so the next reconcile or health pass finds it.
            _engineDown = true;
            PoolLog.MaintenanceFailed(_logger, e.Message);
            return;
        }

        await _store.MarkDestroyedAsync(handle.Id, reason, CancellationToken.None);
        _metrics.Cleanups.WithLabels(provider, reason).Inc();
        PoolLog.Destroyed(_logger, handle.Id, provider, reason);
    }

    private void UpdateGauges()
    {
        foreach (var pool in _pools.Values)
        {
            foreach (var (state, count) in pool.CountByState())
            {
                if (state != RuntimeContainerStates.Destroyed)
                {
                    _metrics.Sandboxes.WithLabels(pool.Provider, state).Set(count);
                }
            }
        }
    }
}
