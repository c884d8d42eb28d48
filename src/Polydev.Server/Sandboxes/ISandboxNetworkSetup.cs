using System.Net;

namespace Polydev.Server.Sandboxes;

/// <summary>
/// The network sandboxes join, made ready by its engine's own means (Docker: an internal bridge plus
/// Polydev's firewall chain). Called at start and again whenever the engine comes back after an outage,
/// so it must be idempotent.
/// </summary>
public interface ISandboxNetworkSetup
{
    /// <summary>What a <see cref="SandboxSpec"/> names to join this network.</summary>
    SandboxNetwork Network { get; }

    /// <summary>
    /// The host address at which a sandbox on this network reaches the egress proxy's ports (Docker: the bridge's
    /// gateway). The proxy must listen there, and clients hand it to their sandbox in the proxy URL.
    /// </summary>
    IPAddress EgressAddress { get; }

    Task EnsureAsync(CancellationToken cancellationToken = default);
}
