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

    /// <summary>
    /// Why the egress proxy cannot serve sandboxes when it listens on <paramref name="bindAddress"/> (<c>Egress:BindAddress</c>),
    /// in words naming the setting; null when it can. On a single host the proxy must listen where sandboxes connect
    /// (<see cref="EgressAddress"/>); a cluster engine relays to it instead.
    /// </summary>
    string? EgressBindProblem(string bindAddress) =>
        bindAddress == EgressAddress.ToString() || bindAddress == "0.0.0.0"
            ? null
            : $"Sandboxes reach the egress proxy only at {EgressAddress} (the sandbox network's egress address), but Egress:BindAddress is {bindAddress}; set Egress:BindAddress to {EgressAddress}.";

    Task EnsureAsync(CancellationToken cancellationToken = default);
}
