using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Server.Runtimes;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Agents;

namespace Polydev.Server.Pools;

/// <summary>
/// Brings one sandbox of a runtime kind from nothing to ready: creates it on the engine (the kind's image, limits,
/// environment and egress; every isolation rule applied there), starts its agent (the kind's entrypoint) and opens the
/// channel to it (the agent makes the one-job key pair in memory, says hello with the public key, and waits for the
/// job), and records the public key. On any failure nothing is left.
/// </summary>
public sealed class SandboxWarmer(
    ISandboxEngine engine,
    ISandboxNetworkSetup network,
    RuntimeContainerStore store,
    IOptions<SandboxesOptions> options,
    TimeProvider clock,
    ILogger<SandboxWarmer> logger)
{
    public async Task<WarmSandbox> WarmAsync(RuntimeKind kind, string imageVersion, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var runtime = kind.Name;
        var image = kind.Image;
        var spec = new SandboxSpec(image, runtime, imageVersion, options.Value.EffectiveServerId)
        {
            Network = kind.Egress == RuntimeEgress.Proxy ? network.Network : SandboxNetwork.None,
            Environment = kind.Environment,
            Limits = kind.Limits,
        };
        await store.InsertAsync(new RuntimeContainerRecord
        {
            Id = spec.Id,
            OwnerServer = spec.OwnerServerId,
            Engine = engine.Name,
            Provider = runtime,
            Image = image,
            ImageVersion = imageVersion,
            State = RuntimeContainerStates.Warming,
        }, cancellationToken);

        SandboxHandle? handle = null;
        AgentChannel? agent = null;
        try
        {
            handle = await engine.CreateAsync(spec, cancellationToken);
            agent = await StartAgentAsync(handle, kind.AgentCommand, cancellationToken);
            var publicKey = agent.PublicKey;
            await store.MarkReadyAsync(spec.Id, handle.EngineId, publicKey, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            PoolLog.Ready(logger, spec.Id, runtime, imageVersion, elapsed.TotalMilliseconds);
            return new WarmSandbox(handle, runtime, imageVersion, publicKey, clock.GetUtcNow(), agent);
        }
        catch (Exception e)
        {
            PoolLog.WarmFailed(logger, runtime, e.Message);
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
    /// Starts the kind's agent (<c>polydev-agent serve</c>) and opens the channel to it (its hello carries the public
    /// key). The process lives on with the sandbox (not with <paramref name="cancellationToken"/>, which only bounds the
    /// wait for the hello).
    /// </summary>
    private async Task<AgentChannel> StartAgentAsync(SandboxHandle handle, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var settings = options.Value.Agent;
        var process = await engine.ExecAsync(handle, new SandboxCommand([.. command, .. settings.ServeArguments]), CancellationToken.None);
        return await AgentChannel.OpenAsync(process, settings, clock, cancellationToken);
    }
}
