namespace Polydev.Server.Sandboxes.Docker;

/// <summary>
/// The Docker engine's settings, <c>Sandboxes:Docker:*</c> (environment: <c>POLYDEV_SANDBOXES__DOCKER__…</c>): the
/// daemon's socket and the sandbox network. Read by the Docker engine alone.
/// </summary>
public sealed class DockerEngineOptions
{
    public const string Section = "Sandboxes:Docker";

    public string Socket { get; set; } = DockerClient.DefaultSocket;

    /// <summary>The sandbox network: name, bridge interface and IPv4 subnet. The egress proxy must listen on its gateway.</summary>
    public DockerNetworkSettings Network { get; set; } = new();

    /// <summary>Where the sandboxes' scratch disks live on the host.</summary>
    public string ScratchRoot { get; set; } = DockerScratch.DefaultRoot;

    /// <summary>
    /// The CFS period of a sandbox's CPU limit, 1,000–1,000,000 µs (1 s by default; Docker's <c>--cpus</c> uses 100 ms):
    /// the limit's average per period, so a longer one lets a start-up run at full speed for longer (<see cref="DockerCpuBurst"/>).
    /// </summary>
    public int CpuPeriodMicroseconds { get; set; } = DockerCpuBurst.DefaultPeriodMicroseconds;

    /// <summary>Whether an idle sandbox banks up to one period's quota to spend at once (CFS burst; <see cref="DockerCpuBurst"/>).</summary>
    public bool CpuBurst { get; set; } = true;

    /// <summary>
    /// The Unix socket of <c>polydev docker-helper</c>, which then does the engine's root work on the host (firewall,
    /// scratch disks, the resolver rule, CPU burst) so the server runs unprivileged (docs/sandboxes.md, "The Docker
    /// helper"); the helper listens on it. Unset: the server does that work itself and must run as root.
    /// </summary>
    public string? Helper { get; set; }

    /// <summary>Where <c>polydev docker-helper</c> serves <c>/metrics</c> and <c>/health</c>; empty: nowhere.</summary>
    public string HelperUrls { get; set; } = "http://127.0.0.1:9903";

    /// <summary>Throws with a message naming the setting when a value cannot work.</summary>
    public void Validate()
    {
        if (CpuPeriodMicroseconds is < 1000 or > 1_000_000)
        {
            throw new InvalidOperationException($"{Section}:CpuPeriodMicroseconds must be 1000–1000000 (µs), not {CpuPeriodMicroseconds}.");
        }
    }
}

/// <summary><c>Sandboxes:Docker:Network:*</c> (see <see cref="DockerSandboxNetworkOptions"/>).</summary>
public sealed class DockerNetworkSettings
{
    public string Name { get; set; } = "polydev-sandboxes";

    public string BridgeName { get; set; } = "pd-sandbox0";

    public string Subnet { get; set; } = "10.213.0.0/24";
}
