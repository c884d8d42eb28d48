using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Server.Runtimes;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Pools;

/// <summary>
/// The pools of every enabled runtime kind, keyed by kind, and what they share: the image versions they serve, the
/// flag that the engine is away, the signal that wakes the maintenance loop, and the gauges.
/// </summary>
public sealed class SandboxPools
{
    private readonly Dictionary<string, SandboxPool> _pools;
    private readonly IRuntimeImageCatalog _images;
    private readonly PoolMetrics _metrics;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private volatile bool _engineDown;

    public SandboxPools(RuntimeKinds kinds, IRuntimeImageCatalog images, PoolMetrics metrics, IOptions<SandboxesOptions> options, ILogger<SandboxPools> logger)
    {
        _pools = kinds.Enabled.ToDictionary(k => k.Name, k => new SandboxPool(k), StringComparer.Ordinal);
        _images = images;
        _metrics = metrics;
        _logger = logger;
        ServerId = options.Value.EffectiveServerId;
    }

    /// <summary>This server's owner id on the engine (<see cref="SandboxesOptions.EffectiveServerId"/>).</summary>
    public string ServerId { get; }

    public IReadOnlyCollection<SandboxPool> All => _pools.Values;

    /// <summary>The pool of a runtime kind, or null when the kind is unknown or disabled.</summary>
    public SandboxPool? Find(string runtime) => _pools.GetValueOrDefault(runtime);

    /// <summary>Set when an engine call failed; the maintenance loop checks the network again once the engine answers.</summary>
    public bool EngineDown
    {
        get => _engineDown;
        set => _engineDown = value;
    }

    /// <summary>Whether some pool accounts for the sandbox (ready, handed out or being destroyed).</summary>
    public bool Knows(string sandboxId) => _pools.Values.Any(p => p.Knows(sandboxId));

    /// <summary>Wakes the maintenance loop early (a sandbox was taken or destroyed).</summary>
    public void Wake() => _wake.Release();

    /// <summary>Waits until woken or <paramref name="timeout"/> passes.</summary>
    public Task WaitForWakeAsync(TimeSpan timeout, CancellationToken cancellationToken) => _wake.WaitAsync(timeout, cancellationToken);

    /// <summary>Asks the image catalog which version each pool's image is now.</summary>
    public async Task ResolveImagesAsync(CancellationToken cancellationToken)
    {
        foreach (var pool in _pools.Values)
        {
            await ResolveImageAsync(pool, cancellationToken);
        }
    }

    public async Task ResolveImageAsync(SandboxPool pool, CancellationToken cancellationToken)
    {
        var version = await _images.ResolveVersionAsync(pool.Image, cancellationToken);
        if (version == pool.ImageVersion)
        {
            return;
        }

        pool.ImageVersion = version;
        if (version is null)
        {
            PoolLog.ImageMissing(_logger, pool.Runtime, pool.Image);
        }
        else
        {
            PoolLog.ImageVersion(_logger, pool.Runtime, pool.Image, version);
        }
    }

    /// <summary>
    /// What the last orphan sweep found, by runtime kind: every enabled kind gets its count (0 when none), so the series
    /// is there before anything leaks.
    /// </summary>
    public void ReportUnaccounted(IReadOnlyCollection<SandboxInfo> found)
    {
        foreach (var runtime in _pools.Keys.Union(found.Select(s => s.Runtime), StringComparer.Ordinal))
        {
            _metrics.Unaccounted.WithLabels(runtime).Set(found.Count(s => s.Runtime == runtime));
        }
    }

    public void UpdateGauges()
    {
        foreach (var pool in _pools.Values)
        {
            _metrics.WarmTarget.WithLabels(pool.Runtime).Set(pool.WarmTarget);
            foreach (var (state, count) in pool.CountByState())
            {
                if (state != RuntimeContainerStates.Destroyed)
                {
                    _metrics.Sandboxes.WithLabels(pool.Runtime, state).Set(count);
                }
            }
        }
    }
}
