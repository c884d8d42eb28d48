namespace Polydev.Server.Sandboxes.Docker.HostOperations;

/// <summary>
/// What the Docker engine does on its host that the Engine API cannot, all of it root's work: the sandbox network's
/// firewall chain (<see cref="DockerSandboxFirewall"/>), each sandbox's scratch disk (<see cref="DockerScratch"/>), the
/// rule that closes Docker's resolver inside a sandbox (<see cref="DockerEmbeddedDns"/>) and its CPU burst
/// (<see cref="DockerCpuBurst"/>), and reading its OOM kills from its cgroup (<see cref="DockerContainerState.CgroupOomKills"/>: the
/// process of another user is invisible to an unprivileged server). Done in this process (<see cref="LocalHostOperations"/>, when the server runs as root
/// beside dockerd) or asked of <c>polydev docker-helper</c> (<see cref="HelperHostOperations"/>), a root process that
/// does these operations and nothing else, so the server itself runs without privileges (docs/sandboxes.md, "The
/// Docker helper").
/// </summary>
public interface IDockerHostOperations
{
    /// <summary>(Re)builds the network's chain and its jumps; idempotent.</summary>
    Task InstallFirewallAsync(DockerSandboxNetworkOptions network, CancellationToken cancellationToken);

    /// <summary>Removes the network's chain and its jumps; idempotent.</summary>
    Task RemoveFirewallAsync(DockerSandboxNetworkOptions network, CancellationToken cancellationToken);

    /// <summary>Makes, formats and mounts the sandbox's scratch disk; returns the host directory dockerd binds into it.</summary>
    Task<string> CreateScratchAsync(string sandboxId, long bytes, int uid, int gid, CancellationToken cancellationToken);

    /// <summary>Unmounts and deletes the sandbox's scratch disk; idempotent.</summary>
    Task RemoveScratchAsync(string sandboxId, CancellationToken cancellationToken);

    /// <summary>The sandboxes that have a scratch disk on this host.</summary>
    Task<IReadOnlyList<ScratchDisk>> ListScratchAsync(CancellationToken cancellationToken);

    /// <summary>Closes Docker's embedded resolver in the network namespace of the container whose init is <paramref name="pid"/>.</summary>
    Task BlockEmbeddedDnsAsync(int pid, CancellationToken cancellationToken);

    /// <summary>Sets the CFS burst of the container whose init is <paramref name="pid"/>.</summary>
    Task SetCpuBurstAsync(int pid, long microseconds, CancellationToken cancellationToken);

    /// <summary>The OOM kills the kernel counted in the memory cgroup of the container whose init is <paramref name="pid"/> (0 when unreadable).</summary>
    Task<long> CountOomKillsAsync(int pid, CancellationToken cancellationToken);
}

/// <summary>A scratch disk on the host and when it was made.</summary>
public sealed record ScratchDisk(string SandboxId, DateTimeOffset CreatedAt);
