namespace Polydev.Server.Sandboxes;

/// <summary>
/// Where sandboxes run: the Docker Engine API on one host (<c>Sandboxes/Docker</c>) or, later, a Nomad cluster
/// (a job per sandbox, its allocation, alloc exec over WebSocket). Pools, scheduling, cleanup and executions are
/// written against this interface only, so they do not change with the engine. An engine comes with two
/// companions: its <see cref="ISandboxNetworkSetup"/> (the network sandboxes join and the address at which they
/// reach the egress proxy) and its <see cref="Images.IRuntimeImageCatalog"/> (image versions, listing, building).
/// It registers all three with one call (<see cref="SandboxEngineServices.AddSandboxEngine"/>).
/// </summary>
/// <remarks>
/// Every implementation applies <see cref="SandboxLimits"/> in full and refuses a spec it cannot
/// enforce, rather than starting a weaker sandbox. Every sandbox carries the labels of
/// <see cref="SandboxLabels"/>, so a restarted server finds what it owns with
/// <see cref="ListOwnedAsync"/>. Engine failures surface as <see cref="SandboxEngineException"/>.
/// </remarks>
public interface ISandboxEngine
{
    /// <summary>Short engine name for metrics and logs: <c>docker</c>, <c>nomad</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Creates and starts a sandbox; it is running (its main process up) when this returns. On
    /// failure nothing is left behind.
    /// </summary>
    Task<SandboxHandle> CreateAsync(SandboxSpec spec, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts a process in a running sandbox, as the sandbox's non-root user, with its stdin, stdout
    /// and stderr as streams. Cancelling <paramref name="cancellationToken"/> later cuts the streams
    /// (a sandbox whose execution is cancelled is destroyed, never reused).
    /// </summary>
    Task<SandboxProcess> ExecAsync(SandboxHandle sandbox, SandboxCommand command, CancellationToken cancellationToken = default);

    /// <summary>The sandbox's state now, or null when the engine no longer has it.</summary>
    Task<SandboxStatus?> InspectAsync(SandboxHandle sandbox, CancellationToken cancellationToken = default);

    /// <summary>Stops and removes the sandbox with its scratch space. Idempotent: an unknown or already removed sandbox is not an error.</summary>
    Task DestroyAsync(SandboxHandle sandbox, CancellationToken cancellationToken = default);

    /// <summary>Every sandbox labelled with this owner server id, in any state, and nothing else.</summary>
    Task<IReadOnlyList<SandboxInfo>> ListOwnedAsync(string ownerServerId, CancellationToken cancellationToken = default);
}
