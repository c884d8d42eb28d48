using Microsoft.Extensions.Hosting;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>
/// Once a minute, removes the scratch disks of sandboxes that no longer exist (left by a server that crashed between
/// making the disk and the container), once older than the longest warm-up.
/// </summary>
public sealed class DockerScratchCollector(DockerSandboxEngine engine, TimeProvider clock) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    /// <summary>A disk younger than this may belong to a sandbox being created.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(3);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await engine.CollectLeftoversAsync(Grace, stoppingToken);
            }
            catch (Exception e) when (e is SandboxEngineException or IOException)
            {
                // The daemon is away; the next tick tries again.
            }
        }
    }
}
