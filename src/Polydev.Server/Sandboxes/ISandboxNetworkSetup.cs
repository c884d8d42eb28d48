namespace Polydev.Server.Sandboxes;

/// <summary>
/// The network sandboxes join, made ready by its engine's own means (Docker: an internal bridge plus
/// Polydev's firewall chain). Called at start and again whenever the engine comes back after an outage,
/// so it must be idempotent.
/// </summary>
public interface ISandboxNetworkSetup
{
    SandboxNetwork Network { get; }

    Task EnsureAsync(CancellationToken cancellationToken = default);
}
