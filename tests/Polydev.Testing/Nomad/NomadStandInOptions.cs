using System.Security.Cryptography.X509Certificates;

namespace Polydev.Testing.Nomad;

/// <summary>How the stand-in cluster is made: its client nodes, region, namespaces, ACL tokens, the Docker driver's plugin options, TLS.</summary>
public sealed class NomadStandInOptions
{
    /// <summary>The client nodes; two by default (<c>node-1</c>, <c>node-2</c> in <c>dc1</c>, pool <c>default</c>).</summary>
    public IReadOnlyList<NomadStandInNodeOptions> Nodes { get; init; } = [new("node-1"), new("node-2")];

    /// <summary>Meta set on every node besides each node's own (the gateway's <c>polydev_egress = ready</c> in the conformance fixture).</summary>
    public IReadOnlyDictionary<string, string> NodeMeta { get; init; } = new Dictionary<string, string>();

    public string Region { get; init; } = "global";

    /// <summary>Namespaces besides <c>default</c>, which always exists.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>When set, ACLs are on: every request needs this token (or one of <see cref="Tokens"/>).</summary>
    public string? ManagementToken { get; init; }

    /// <summary>Further tokens with limited rights (only meaningful with <see cref="ManagementToken"/>).</summary>
    public IReadOnlyList<NomadStandInToken> Tokens { get; init; } = [];

    /// <summary>The Docker plugin's <c>allow_privileged</c> (Nomad's default: false).</summary>
    public bool AllowPrivileged { get; init; }

    /// <summary>The Docker plugin's <c>volumes { enabled }</c>: bind mounts (Nomad's default: false).</summary>
    public bool VolumesEnabled { get; init; }

    /// <summary>The Docker plugin's <c>pids_limit</c>: a task may not ask for more (0: no ceiling).</summary>
    public int PluginPidsLimit { get; init; }

    /// <summary>The Docker plugin's <c>gc { container }</c>: remove a task's container once it has exited (Nomad's default: true).</summary>
    public bool GcContainers { get; init; } = true;

    /// <summary>Where the allocation directories go; a new temporary directory when null (removed at dispose).</summary>
    public string? DataDirectory { get; init; }

    public string DockerSocket { get; init; } = "/var/run/docker.sock";

    /// <summary>Interval of the event stream's <c>{}</c> heartbeat (Nomad's: 10 s).</summary>
    public TimeSpan EventStreamHeartbeat { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>HTTPS with this certificate (with its key) when set.</summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>With <see cref="ServerCertificate"/>: a client certificate issued by this CA is required (Nomad's <c>verify_https_client</c>).</summary>
    public X509Certificate2? ClientCertificateAuthority { get; init; }
}

/// <summary>One client node: its identity, placement attributes and capacity.</summary>
public sealed record NomadStandInNodeOptions(string Name)
{
    public string Datacenter { get; init; } = "dc1";

    public string NodePool { get; init; } = "default";

    public string NodeClass { get; init; } = "";

    public int Cores { get; init; } = 2;

    public int MhzPerCore { get; init; } = 2000;

    public int MemoryMB { get; init; } = 8192;

    public int DiskMB { get; init; } = 100_000;

    /// <summary>Attributes besides the standard ones (<c>kernel.name</c>, <c>driver.docker</c>, <c>cpu.*</c>, <c>unique.hostname</c>…).</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Meta { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a limited token may do; a simplification of Nomad's ACL policies (namespace and node capabilities).</summary>
[Flags]
public enum NomadCapability
{
    None = 0,
    ReadJob = 1,
    ListJobs = 2,
    SubmitJob = 4,
    AllocExec = 8,
    AllocLifecycle = 16,
    NodeRead = 32,
    NodeWrite = 64,
    AgentRead = 128,
    All = ReadJob | ListJobs | SubmitJob | AllocExec | AllocLifecycle | NodeRead | NodeWrite | AgentRead,
}

/// <summary>An ACL token other than the management token.</summary>
public sealed record NomadStandInToken(string SecretId, string Name, NomadCapability Capabilities)
{
    /// <summary>A <c>read</c> namespace policy with <c>node:read</c> and <c>agent:read</c>: every read, no write, no exec.</summary>
    public static NomadStandInToken ReadOnly(string secretId) =>
        new(secretId, "read-only", NomadCapability.ReadJob | NomadCapability.ListJobs | NomadCapability.NodeRead | NomadCapability.AgentRead);
}

/// <summary>A node as the stand-in holds it now.</summary>
public sealed record NomadStandInNode(
    string ID, string Name, string Datacenter, string NodePool, string Status, string SchedulingEligibility, bool Drain);

/// <summary>One request the stand-in answered: never the token, only whether one came.</summary>
public sealed record NomadStandInRequest(DateTimeOffset Time, string Method, string Path, string Query, bool HasToken, int Status);
