namespace Polydev.Server.Sandboxes.Docker.HostOperations;

/// <summary>
/// The host operations done by this process, which must then run as root in the host's mount namespace: the server
/// started by scripts/start or the tests, a cluster node's egress gateway, and <c>polydev docker-helper</c> itself.
/// </summary>
public sealed class LocalHostOperations(string scratchRoot = DockerScratch.DefaultRoot, string iptables = "iptables") : IDockerHostOperations
{
    private readonly DockerScratch _scratch = new(scratchRoot);
    private readonly DockerEmbeddedDns _dns = new(iptables: iptables);

    public Task InstallFirewallAsync(DockerSandboxNetworkOptions network, CancellationToken cancellationToken) =>
        new DockerSandboxFirewall(network, iptables).InstallAsync(cancellationToken);

    public Task RemoveFirewallAsync(DockerSandboxNetworkOptions network, CancellationToken cancellationToken) =>
        new DockerSandboxFirewall(network, iptables).RemoveAsync(cancellationToken);

    public Task<string> CreateScratchAsync(string sandboxId, long bytes, int uid, int gid, CancellationToken cancellationToken) =>
        _scratch.CreateAsync(sandboxId, bytes, uid, gid, cancellationToken);

    public Task RemoveScratchAsync(string sandboxId, CancellationToken cancellationToken) => _scratch.RemoveAsync(sandboxId, cancellationToken);

    public Task<IReadOnlyList<ScratchDisk>> ListScratchAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ScratchDisk>>(_scratch.List().Select(d => new ScratchDisk(d.SandboxId, d.CreatedAt)).ToList());

    public Task BlockEmbeddedDnsAsync(int pid, CancellationToken cancellationToken) => _dns.BlockAsync(pid, cancellationToken);

    public Task SetCpuBurstAsync(int pid, long microseconds, CancellationToken cancellationToken) =>
        DockerCpuBurst.WriteAsync(pid, microseconds, cancellationToken);

    public Task<long> CountOomKillsAsync(int pid, CancellationToken cancellationToken) => Task.FromResult(DockerContainerState.CgroupOomKills(pid));
}
