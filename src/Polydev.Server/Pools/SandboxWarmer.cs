using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Server.Runtimes;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Pools;

/// <summary>
/// Brings one sandbox of a runtime kind from nothing to ready: creates it on the engine (the kind's image, limits,
/// environment and egress; every isolation rule applied there), starts its agent (the kind's entrypoint, <c>serve</c> mode) (it makes the one-job key pair in memory and waits for the job), and
/// records the public key. On any failure nothing is left.
/// </summary>
public sealed class SandboxWarmer(
    ISandboxEngine engine,
    ISandboxNetworkSetup network,
    RuntimeContainerStore store,
    IOptions<SandboxesOptions> options,
    TimeProvider clock,
    ILogger<SandboxWarmer> logger)
{
    /// <summary>Length of an uncompressed P-256 point.</summary>
    private const int PublicKeyLength = 65;

    private static readonly TimeSpan KeygenTimeout = TimeSpan.FromSeconds(30);

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
        WaitingAgent? agent = null;
        try
        {
            handle = await engine.CreateAsync(spec, cancellationToken);
            (agent, var publicKey) = await StartAgentAsync(handle, kind.Agent, cancellationToken);
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
    /// Starts the agent (<c>polydev-agent serve</c>) and reads its first line, the public key. The process lives on with the
    /// sandbox (not with <paramref name="cancellationToken"/>, which only bounds the wait for the key).
    /// </summary>
    private async Task<(WaitingAgent Agent, byte[] PublicKey)> StartAgentAsync(SandboxHandle handle, AgentEntrypoint entrypoint, CancellationToken cancellationToken)
    {
        var process = await engine.ExecAsync(handle, new SandboxCommand(entrypoint.Command), CancellationToken.None);
        var agent = new WaitingAgent(process);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(KeygenTimeout);
            var line = await ReadLineAsync(process.Stdout, timeout.Token);
            if (line is null)
            {
                await agent.StderrDrained(TimeSpan.FromSeconds(1));
                throw new SandboxEngineException(engine.Name, "agent serve", 500, $"the agent ended before printing its public key: {Truncate(agent.Stderr)}");
            }

            byte[] key;
            try
            {
                key = Convert.FromBase64String(line.Trim());
            }
            catch (FormatException)
            {
                throw new SandboxEngineException(engine.Name, "agent serve", 500, "the agent printed something other than a base64 public key");
            }

            if (key.Length != PublicKeyLength || key[0] != 0x04)
            {
                throw new SandboxEngineException(engine.Name, "agent serve", 500, $"the public key is {key.Length} bytes, not an uncompressed P-256 point");
            }

            return (agent, key);
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads one line byte by byte, so nothing after it (the job's output frames) is consumed.</summary>
    private static async Task<string?> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new List<byte>(96);
        var one = new byte[1];
        while (line.Count < 1024)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                return null;
            }

            if (one[0] == (byte)'\n')
            {
                return Encoding.ASCII.GetString(line.ToArray());
            }

            line.Add(one[0]);
        }

        return null;
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
