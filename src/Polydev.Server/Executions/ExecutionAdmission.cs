using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Polydev.Server.Pools;
using Polydev.Server.Runtimes;

namespace Polydev.Server.Executions;

/// <summary>What an admitted execution holds: its sandbox and its way out. Disposing it lets the user's next request in.</summary>
public sealed class Admission(AllocatedSandbox sandbox, string tokenId, string proxyUrl, string ownerServer, SemaphoreSlim userLock) : IDisposable
{
    /// <summary>The server that holds the sandbox (its owner id on the engine).</summary>
    public string OwnerServer { get; } = ownerServer;

    public AllocatedSandbox Sandbox { get; } = sandbox;

    public string TokenId { get; } = tokenId;

    public string ProxyUrl { get; } = proxyUrl;

    public void Dispose() => userLock.Release();
}

/// <summary>
/// Lets a new execution in, or refuses it: one request of a user at a time, within the user's concurrency limit;
/// then the user's egress port, a sandbox of the runtime kind that serves the provider, and a proxy token.
/// </summary>
public sealed class ExecutionAdmission(
    ExecutionStore store,
    RuntimeKinds kinds,
    SandboxAllocator sandboxes,
    EgressAccess egress,
    IOptions<ExecutionsOptions> options,
    ExecutionTelemetry telemetry)
{
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _userLocks = new();

    /// <summary>Admits an execution of <paramref name="provider"/>; the caller records it before disposing the admission.</summary>
    public async Task<Admission> AdmitAsync(Guid userId, string provider, string executionId, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var userLock = _userLocks.GetOrAdd(userId, _ => new SemaphoreSlim(1, 1));
        await userLock.WaitAsync(cancellationToken);
        try
        {
            if (await store.CountActiveAsync(userId, cancellationToken) >= limits.MaxConcurrentPerUser)
            {
                telemetry.Refused("concurrency");
                throw new ExecutionRefusedException(ExecutionRefusal.TooMany,
                    $"You already have {limits.MaxConcurrentPerUser} executions allocated or running, the most this server allows at once; wait for one to finish or cancel one.");
            }

            var port = await egress.EnsurePortAsync(userId, cancellationToken);
            AllocatedSandbox allocated;
            try
            {
                var kind = kinds.ForProvider(provider) ?? throw new SandboxUnavailableException($"No runtime kind on this server serves {provider}.");
                if (!kind.Enabled)
                {
                    throw new SandboxUnavailableException($"This server runs no {provider} executions: their runtime kind is off (Sandboxes:Runtimes:{kind.Name}:Enabled is false).");
                }

                allocated = await sandboxes.AllocateAsync(kind.Name, executionId, cancellationToken);
            }
            catch (SandboxUnavailableException e)
            {
                telemetry.Refused("unavailable");
                throw new ExecutionRefusedException(ExecutionRefusal.Unavailable, e.Message);
            }

            var lifetime = limits.StartWindow + limits.MaxRunTime + TimeSpan.FromMinutes(1);
            var (tokenId, proxyUrl) = await egress.GrantAsync(userId, port, lifetime, allocated.Sandbox.Handle.Address, cancellationToken);
            return new Admission(allocated, tokenId, proxyUrl, sandboxes.ServerId, userLock);
        }
        catch
        {
            userLock.Release();
            throw;
        }
    }
}
