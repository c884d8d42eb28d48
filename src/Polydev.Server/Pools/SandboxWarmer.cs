using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Pools;

/// <summary>
/// Brings one sandbox from nothing to ready: creates it on the engine (every isolation rule applied there),
/// asks its agent to make the one-job key pair, and records the public key. On any failure nothing is left.
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
        try
        {
            handle = await engine.CreateAsync(spec, cancellationToken);
            var publicKey = await MakeKeyAsync(handle, settings.AgentPath, cancellationToken);
            await store.MarkReadyAsync(spec.Id, handle.EngineId, publicKey, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            PoolLog.Ready(logger, spec.Id, provider, imageVersion, elapsed.TotalMilliseconds);
            return new WarmSandbox(handle, provider, imageVersion, publicKey, clock.GetUtcNow());
        }
        catch (Exception e)
        {
            PoolLog.WarmFailed(logger, provider, e.Message);
            if (handle is not null)
            {
                await engine.DestroyAsync(handle, CancellationToken.None);
            }

            await store.MarkDestroyedAsync(spec.Id, "warm_failed", CancellationToken.None);
            throw;
        }
    }

    private async Task<byte[]> MakeKeyAsync(SandboxHandle handle, string agentPath, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(KeygenTimeout);
        await using var process = await engine.ExecAsync(handle, new SandboxCommand([agentPath, "keygen"]), timeout.Token);
        await process.CloseStdinAsync();
        var stdout = ReadAllAsync(process.Stdout, timeout.Token);
        var stderr = ReadAllAsync(process.Stderr, timeout.Token);
        var exitCode = await process.WaitForExitAsync(timeout.Token);
        var output = Encoding.ASCII.GetString(await stdout).Trim();
        var errors = Encoding.UTF8.GetString(await stderr).Trim();
        if (exitCode != 0)
        {
            throw new SandboxEngineException(engine.Name, "agent keygen", 500, $"exit code {exitCode}: {Truncate(errors)}");
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(output);
        }
        catch (FormatException)
        {
            throw new SandboxEngineException(engine.Name, "agent keygen", 500, "the agent printed something other than a base64 public key");
        }

        if (key.Length != PublicKeyLength || key[0] != 0x04)
        {
            throw new SandboxEngineException(engine.Name, "agent keygen", 500, $"the public key is {key.Length} bytes, not an uncompressed P-256 point");
        }

        return key;
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
