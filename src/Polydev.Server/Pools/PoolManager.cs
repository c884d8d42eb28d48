using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Pools;

/// <summary>
/// The warm pools' life: reconciles with the engine at start (<see cref="PoolReconciler"/>), then in the background
/// keeps each pool at its target (<see cref="PoolRefiller"/>) and healthy (<see cref="PoolHealthChecker"/>), and
/// drains on shutdown. Leasing is <see cref="SandboxAllocator"/>'s.
/// </summary>
/// <remarks>
/// A sandbox runs exactly one job: whatever happens to it after allocation, it is destroyed, never returned to
/// the pool. So "handed out twice" cannot happen in memory (a dequeue), and after a restart nothing is adopted.
/// </remarks>
public sealed class PoolManager(
    SandboxPools pools,
    PoolRefiller refiller,
    PoolHealthChecker health,
    PoolReconciler reconciler,
    IOptions<SandboxesOptions> options,
    ILogger<PoolManager> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stopping = new();

    public string ServerId => pools.ServerId;

    public IReadOnlyCollection<SandboxPool> Pools => pools.All;

    /// <summary>The pool of a runtime kind (<c>claude</c>, …), or null when the kind is unknown or disabled.</summary>
    public SandboxPool? Pool(string runtime) => pools.Find(runtime);

    /// <summary>Before the server takes requests: see <see cref="PoolReconciler.InitializeAsync"/>.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => reconciler.InitializeAsync(cancellationToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
        await refiller.DrainAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _stopping.Token);
        var token = linked.Token;
        var interval = options.Value.HealthInterval;
        var wait = interval < TimeSpan.FromSeconds(1) ? interval : TimeSpan.FromSeconds(1);
        while (!token.IsCancellationRequested)
        {
            try
            {
                await health.RunIfDueAsync(token);
                refiller.Refill(token);
                pools.UpdateGauges();
                await reconciler.RecoverAsync(token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                pools.EngineDown = true;
                PoolLog.MaintenanceFailed(logger, e.Message);
                await Task.Delay(RetryDelay, token).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            try
            {
                await pools.WaitForWakeAsync(wait, token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
