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
}

/// <summary><c>Sandboxes:Docker:Network:*</c> (see <see cref="DockerSandboxNetworkOptions"/>).</summary>
public sealed class DockerNetworkSettings
{
    public string Name { get; set; } = "polydev-sandboxes";

    public string BridgeName { get; set; } = "pd-sandbox0";

    public string Subnet { get; set; } = "10.213.0.0/24";
}
