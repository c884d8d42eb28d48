using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Agents;

namespace Polydev.Server.Pools;

/// <summary>
/// Brings one sandbox from nothing to ready: creates it on the engine (every isolation rule applied there),
/// starts its agent in <c>serve</c> mode and opens the channel to it (the agent makes the one-job key pair in memory,
/// says hello with the public key, and waits for the job), and records the public key. On any failure nothing is left.
/// </summary>
public sealed class SandboxWarmer(
    ISandboxEngine engine,
    ISandboxNetworkSetup network,
    RuntimeContainerStore store,
    IOptions<SandboxesOptions> options,
    TimeProvider clock,
    ILogger<SandboxWarmer> logger)
{
    public async Task<WarmSandbox> WarmAsync(string provider, string image, string imageVersion, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var settings = options.Value;
        var spec = new SandboxSpec(image, provider, imageVersion, settings.EffectiveServerId) { Network = network.Network, Environment = settings.For(provider).Environment };
        await store.InsertAsync(new RuntimeContainerRecord
        {
            Id = spec.Id,
            OwnerServer = spec.OwnerServerId,
            Engine = engine.Name,
            Provider = provider,
            Image = image,
            ImageVersion = imageVersion,
            State = RuntimeContainerStates.Warming,
        }, cancellationToken);

        SandboxHandle? handle = null;
        AgentChannel? agent = null;
        try
        {
            handle = await engine.CreateAsync(spec, cancellationToken);
            agent = await StartAgentAsync(handle, settings, cancellationToken);
            var publicKey = agent.PublicKey;
            await store.MarkReadyAsync(spec.Id, handle.EngineId, publicKey, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            PoolLog.Ready(logger, spec.Id, provider, imageVersion, elapsed.TotalMilliseconds);
            return new WarmSandbox(handle, provider, imageVersion, publicKey, clock.GetUtcNow(), agent);
        }
        catch (Exception e)
        {
            PoolLog.WarmFailed(logger, provider, e.Message);
            if (agent is not null)
            {
                await agent.DisposeAsync();
            }

            if (handle is not null)
            {
                await engine.DestroyAsync(handle, CancellationToken.None);
            }

            await store.MarkDestroyedAsync(spec.Id, "warm_failed", CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// Starts <c>polydev-agent serve</c> and opens the channel to it (its hello carries the public key). The process
    /// lives on with the sandbox (not with <paramref name="cancellationToken"/>, which only bounds the wait for the hello).
    /// </summary>
    private async Task<AgentChannel> StartAgentAsync(SandboxHandle handle, SandboxesOptions settings, CancellationToken cancellationToken)
    {
        var process = await engine.ExecAsync(handle, new SandboxCommand([settings.AgentPath, "serve", .. settings.Agent.ServeArguments]), CancellationToken.None);
        return await AgentChannel.OpenAsync(process, settings.Agent, clock, cancellationToken);
    }
}
