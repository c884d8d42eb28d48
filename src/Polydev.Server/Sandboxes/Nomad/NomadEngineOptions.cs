using System.Net;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// The Nomad engine's settings, <c>Sandboxes:Nomad:*</c> (environment: <c>POLYDEV_SANDBOXES__NOMAD__…</c>): where the
/// cluster's HTTP API is and how to authenticate, where sandboxes may be placed, and the Docker driver's settings.
/// Read by the Nomad engine alone. docs/nomad.md explains each with the job it produces.
/// </summary>
public sealed class NomadEngineOptions
{
    public const string Section = "Sandboxes:Nomad";

    /// <summary>The HTTP API of a Nomad server or client agent (<c>NOMAD_ADDR</c>).</summary>
    public string Address { get; set; } = "http://127.0.0.1:4646";

    /// <summary>The region to submit to; null: the agent's own.</summary>
    public string? Region { get; set; }

    public string Namespace { get; set; } = "default";

    /// <summary>
    /// The ACL token's secret (<c>NOMAD_TOKEN</c>): sent in <c>X-Nomad-Token</c>, never logged. Needs
    /// <c>submit-job</c>, <c>read-job</c>, <c>alloc-exec</c> and <c>list-jobs</c> in <see cref="Namespace"/>, and
    /// <c>node:read</c>.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>PEM file of the CA that signed the agents' HTTPS certificates (<c>NOMAD_CACERT</c>); null: the system's.</summary>
    public string? CaCertificate { get; set; }

    /// <summary>PEM client certificate and key for mutual TLS (<c>NOMAD_CLIENT_CERT</c>, <c>NOMAD_CLIENT_KEY</c>).</summary>
    public string? ClientCertificate { get; set; }

    public string? ClientKey { get; set; }

    /// <summary>The name to expect on the agents' certificates (Nomad's are <c>server.&lt;region&gt;.nomad</c>); null: the address's host.</summary>
    public string? TlsServerName { get; set; }

    /// <summary>Where sandboxes may run.</summary>
    public List<string> Datacenters { get; set; } = ["*"];

    /// <summary>The node pool sandboxes run in (Nomad 1.6+); null: <c>default</c>.</summary>
    public string? NodePool { get; set; }

    /// <summary>More placement rules, e.g. <c>${node.class} = sandbox</c>, each <c>attribute operator value</c>.</summary>
    public List<string> Constraints { get; set; } = [];

    /// <summary>Every sandbox job's id starts with it; a server lists only jobs with it (and its owner meta).</summary>
    public string JobPrefix { get; set; } = "polydev-sandbox-";

    /// <summary>Job priority (1–100); pools warm ahead, so the default leaves room for the operator's own jobs.</summary>
    public int Priority { get; set; } = 50;

    public NomadDriverSettings Driver { get; set; } = new();

    /// <summary>The egress gateway every sandbox node runs (docs/nomad.md, "Egress on a cluster").</summary>
    public NomadEgressSettings Egress { get; set; } = new();

    /// <summary>How long a sandbox may take from submission to a running task before create gives up.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Throws with a message naming the setting when the configuration cannot work.</summary>
    public void Validate()
    {
        if (!Uri.TryCreate(Address, UriKind.Absolute, out var address) || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException($"Sandboxes:Nomad:Address must be an http:// or https:// URL, not '{Address}'.");
        }

        if ((ClientCertificate is null) != (ClientKey is null))
        {
            throw new InvalidOperationException("Sandboxes:Nomad:ClientCertificate and Sandboxes:Nomad:ClientKey go together.");
        }

        // The job id is also the sandbox's service name, which Nomad allows letters, digits and '-' only.
        if (string.IsNullOrWhiteSpace(JobPrefix) || JobPrefix.Any(c => !(char.IsAsciiLetterOrDigit(c) || c == '-')) || JobPrefix.Length > 30)
        {
            throw new InvalidOperationException($"Sandboxes:Nomad:JobPrefix '{JobPrefix}' must be up to 30 letters, digits or '-'.");
        }

        if (Datacenters.Count == 0)
        {
            throw new InvalidOperationException("Sandboxes:Nomad:Datacenters names no datacenter; use [\"*\"] for all.");
        }

        if (Priority is < 1 or > 100)
        {
            throw new InvalidOperationException("Sandboxes:Nomad:Priority must be between 1 and 100.");
        }

        foreach (var constraint in Constraints)
        {
            _ = NomadConstraint.Parse(constraint);
        }

        Driver.Validate();
        Egress.Validate();
    }
}

/// <summary><c>Sandboxes:Nomad:Driver:*</c>: how the Docker task driver runs a sandbox.</summary>
public sealed class NomadDriverSettings
{
    /// <summary>The task driver; the isolation rules are written for <c>docker</c>, the only one accepted.</summary>
    public string Name { get; set; } = "docker";

    /// <summary>The Docker network on every node that the egress gateway makes (an internal bridge, firewalled).</summary>
    public string Network { get; set; } = "polydev-sandboxes";

    /// <summary>
    /// MHz of one core on the sandbox nodes: Nomad expresses CPU in MHz and turns it into a CFS quota against the
    /// node's total. 0: read from the nodes (the smallest per-core figure among ready nodes, so no sandbox gets more
    /// than its share anywhere).
    /// </summary>
    public int CpuMhzPerCore { get; set; }

    /// <summary>CFS period in microseconds (<c>cpu_cfs_period</c>).</summary>
    public int CpuPeriodMicroseconds { get; set; } = 100_000;

    /// <summary>How long Nomad waits between SIGTERM and SIGKILL when a sandbox is stopped.</summary>
    public TimeSpan KillTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public void Validate()
    {
        if (!string.Equals(Name, "docker", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Sandboxes:Nomad:Driver:Name '{Name}' is not supported: the sandbox rules are enforced through the docker task driver.");
        }

        if (string.IsNullOrWhiteSpace(Network))
        {
            throw new InvalidOperationException("Sandboxes:Nomad:Driver:Network must name the nodes' sandbox network.");
        }

        if (CpuMhzPerCore < 0 || CpuPeriodMicroseconds is < 1000 or > 1_000_000)
        {
            throw new InvalidOperationException("Sandboxes:Nomad:Driver:CpuMhzPerCore must be 0 or more, CpuPeriodMicroseconds 1000–1000000.");
        }
    }
}

/// <summary><c>Sandboxes:Nomad:Egress:*</c>: where sandboxes find their egress port on any node.</summary>
public sealed class NomadEgressSettings
{
    /// <summary>
    /// The sandbox network's gateway on every node, where the node's egress gateway listens: the same on all nodes,
    /// so one proxy URL works wherever a sandbox lands.
    /// </summary>
    public string Address { get; set; } = "10.213.0.1";

    /// <summary>
    /// The node meta key the egress gateway sets once the node's sandbox network and relay are up; sandboxes are
    /// placed only on nodes that have it (so none lands where it could not get out, or could get out unfiltered).
    /// </summary>
    public string ReadyMeta { get; set; } = "polydev_egress";

    public IPAddress ParsedAddress => IPAddress.Parse(Address);

    public void Validate()
    {
        if (!IPAddress.TryParse(Address, out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new InvalidOperationException($"Sandboxes:Nomad:Egress:Address must be an IPv4 address, not '{Address}'.");
        }

        if (string.IsNullOrWhiteSpace(ReadyMeta))
        {
            throw new InvalidOperationException("Sandboxes:Nomad:Egress:ReadyMeta must name a node meta key.");
        }
    }
}
