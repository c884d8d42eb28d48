namespace Polydev.Server.Sandboxes.Docker;

/// <summary>
/// Docker answers DNS inside every container of a user-defined network at 127.0.0.11, and it answers with the names and
/// ids of the other containers on that network: one sandbox could learn another's name and address. Docker has no
/// switch to turn that resolver off, and it lives inside the container's own network namespace (a NAT rule there sends
/// 127.0.0.11:53 to dockerd's socket), out of reach of the host's firewall. So every networked sandbox gets one rule
/// in its own namespace, from the host, before any job reaches it: everything to 127.0.0.11 is rejected. Sandboxes need
/// no DNS at all: their CLIs name destinations to the egress proxy, which resolves them.
/// </summary>
internal sealed class DockerEmbeddedDns(string nsenter = "nsenter", string iptables = "iptables")
{
    public const string ResolverAddress = "127.0.0.11";

    /// <summary>Rejects every packet to the embedded resolver in the network namespace of the process <paramref name="pid"/>.</summary>
    /// <exception cref="SandboxEngineException">The rule could not be installed; the sandbox must not be used.</exception>
    public async Task BlockAsync(int pid, CancellationToken cancellationToken)
    {
        if (pid <= 0)
        {
            throw new SandboxEngineException("docker", "dns block", 500, "the sandbox has no running process whose network namespace could be closed to Docker's resolver");
        }

        var (exit, error) = await HostCommand.RunAsync(nsenter,
            ["--target", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--net", "--", iptables, "-w", "-I", "OUTPUT", "-d", ResolverAddress, "-j", "REJECT"],
            cancellationToken);
        if (exit != 0)
        {
            throw new SandboxEngineException("docker", "dns block", 500,
                $"closing Docker's resolver in the sandbox's network namespace failed ({nsenter} … {iptables} exited {exit}: {error.Trim()}); the server must run as root beside dockerd");
        }
    }
}
