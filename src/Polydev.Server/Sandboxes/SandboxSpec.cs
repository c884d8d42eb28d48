namespace Polydev.Server.Sandboxes;

/// <summary>What to start: one sandbox of one runtime kind (<see cref="Runtimes.RuntimeKind"/>).</summary>
/// <param name="Image">The engine's image reference, e.g. <c>polydev/runtime-anthropic:1.4.0</c>; never pulled by the engine here.</param>
/// <param name="Runtime">The runtime kind's name (<c>claude</c>, <c>codex</c>, <c>gemini</c>, …); a label, not a secret.</param>
/// <param name="ImageVersion">The version the pool serves; a label, so a pool can recycle sandboxes of an old version.</param>
/// <param name="OwnerServerId">The server that created it and will reconcile it after a restart.</param>
public sealed record SandboxSpec(string Image, string Runtime, string ImageVersion, string OwnerServerId)
{
    /// <summary>Polydev's id of the sandbox (the <c>runtime_containers</c> row); the engine's own id is in the handle.</summary>
    public string Id { get; init; } = Guid.NewGuid().ToString("N");

    /// <summary>
    /// Environment of the sandbox's main process. Not for secrets: engines show it to the operator
    /// (<c>docker inspect</c>), so credentials arrive sealed at execution time instead. Values are never logged.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Overrides the image's command (the sandbox agent); null keeps the image's.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    public SandboxLimits Limits { get; init; } = SandboxLimits.Default;

    /// <summary>Where the sandbox may connect; <see cref="SandboxNetwork.None"/> (no interface but loopback) by default.</summary>
    public SandboxNetwork Network { get; init; } = SandboxNetwork.None;

    /// <summary>
    /// What every engine checks before it starts anything: the labels are there, and no rule of <see cref="Limits"/> is
    /// weakened or missing. Returns the numeric user. Throws <see cref="ArgumentException"/> naming the rule.
    /// </summary>
    /// <param name="minimumMemoryBytes">The engine's own floor (Docker: 6 MB; Nomad: 10 MB).</param>
    public (int Uid, int Gid) EnsureEnforceable(long minimumMemoryBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Image);
        ArgumentException.ThrowIfNullOrWhiteSpace(Runtime);
        ArgumentException.ThrowIfNullOrWhiteSpace(ImageVersion);
        ArgumentException.ThrowIfNullOrWhiteSpace(OwnerServerId);
        var user = Limits.ParseUser();
        if (!Limits.ReadOnlyRoot || !Limits.NoNewPrivileges)
        {
            throw new ArgumentException("Sandboxes always have a read-only root and no-new-privileges.");
        }

        if (Limits.Capabilities.Count > 0)
        {
            throw new ArgumentException("Sandboxes keep no capabilities.");
        }

        if (Limits.MemoryBytes < minimumMemoryBytes || Limits.Cpus <= 0 || Limits.PidsLimit <= 0 || Limits.ScratchBytes <= 0)
        {
            throw new ArgumentException($"Sandbox memory (at least {minimumMemoryBytes >> 20} MB here), CPUs, pids and scratch limits must all be set.");
        }

        return user;
    }
}

/// <summary>
/// The isolation rules of ARCHITECTURE.md, "Sandboxes", independent of the engine. The defaults are
/// the rules; an engine enforces every field or refuses the spec.
/// </summary>
public sealed record SandboxLimits
{
    public static SandboxLimits Default { get; } = new();

    /// <summary>Numeric <c>uid:gid</c> the sandbox runs as; root (uid 0) is refused. One no host account owns (<see cref="SandboxUser"/>).</summary>
    public string User { get; init; } = SandboxUser.Default;

    /// <summary>The user's home: a tmpfs, the only writable place besides <see cref="ScratchPath"/>.</summary>
    public string HomePath { get; init; } = "/home/sandbox";

    /// <summary>Scratch space (a tmpfs): the CLI's temporary files.</summary>
    public string ScratchPath { get; init; } = "/tmp";

    /// <summary>Size cap of the home and of the scratch tmpfs, each. tmpfs pages count against <see cref="MemoryBytes"/>.</summary>
    public long ScratchBytes { get; init; } = 1L << 30;

    /// <summary>Hard memory limit, swap included (no swap): exceeding it gets the process OOM-killed.</summary>
    public long MemoryBytes { get; init; } = 512L << 20;

    /// <summary>Hard CPU limit in cores (CFS quota): 0.5 is half a core, however many cores are idle.</summary>
    public double Cpus { get; init; } = 0.5;

    /// <summary>Most processes and threads alive at once (a fork bomb stops here).</summary>
    public int PidsLimit { get; init; } = 256;

    /// <summary>The root file system is read-only.</summary>
    public bool ReadOnlyRoot { get; init; } = true;

    /// <summary>Capabilities kept; none by default (all dropped).</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>setuid binaries and file capabilities cannot raise privileges.</summary>
    public bool NoNewPrivileges { get; init; } = true;

    /// <summary>The numeric uid and gid of <see cref="User"/>; throws for a name, root or a malformed value.</summary>
    public (int Uid, int Gid) ParseUser()
    {
        var parts = User.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var uid) || !int.TryParse(parts[1], out var gid) || uid < 0 || gid < 0)
        {
            throw new ArgumentException($"Sandbox user must be numeric uid:gid, not '{User}'.");
        }

        if (uid == 0 || gid == 0)
        {
            throw new ArgumentException("Sandboxes never run as root (uid or gid 0).");
        }

        return (uid, gid);
    }
}

/// <summary>Where a sandbox may connect.</summary>
/// <param name="Name">Engine network name; null for no network at all.</param>
public sealed record SandboxNetwork(string? Name)
{
    /// <summary>No network interface except loopback: nothing is reachable.</summary>
    public static SandboxNetwork None { get; } = new((string?)null);
}

/// <summary>A sandbox the engine started.</summary>
/// <param name="Id">Polydev's id (<see cref="SandboxSpec.Id"/>).</param>
/// <param name="EngineId">The engine's id: a Docker container id, a Nomad allocation id.</param>
/// <param name="Name">A readable name, unique on the engine.</param>
/// <param name="Address">
/// The sandbox's address on its network, as the egress proxy sees its connections come from (an execution's egress
/// token works only from it). Reported by <see cref="ISandboxEngine.CreateAsync"/>; null without a network, or for a
/// handle rebuilt from a listing.
/// </param>
public sealed record SandboxHandle(string Id, string EngineId, string Name, System.Net.IPAddress? Address = null);

/// <summary>A process to start inside a sandbox.</summary>
public sealed record SandboxCommand(IReadOnlyList<string> Arguments)
{
    /// <summary>Added to the process's environment only; values are never logged.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>null: the sandbox's home.</summary>
    public string? WorkingDirectory { get; init; }
}

/// <summary>Engine-independent state of a sandbox.</summary>
public enum SandboxEngineState
{
    /// <summary>Created, main process not started yet.</summary>
    Created,
    Running,
    Paused,
    /// <summary>Being removed or restarted by the engine.</summary>
    Transitioning,
    /// <summary>Main process gone; the sandbox is unusable and only waits for removal.</summary>
    Exited,
    /// <summary>The engine failed it (Docker: dead).</summary>
    Dead,
}

/// <param name="OomKilled">The kernel's OOM killer struck inside the sandbox (its memory limit was hit).</param>
/// <param name="ExitCode">The main process's exit code once <see cref="SandboxEngineState.Exited"/>.</param>
/// <param name="NodeLost">
/// The machine the sandbox ran on is gone (a cluster engine lost its node): the sandbox is <see cref="SandboxEngineState.Dead"/>
/// and nothing in it will answer again. Always false on a single host.
/// </param>
public sealed record SandboxStatus(SandboxEngineState State, bool OomKilled, int? ExitCode, DateTimeOffset? StartedAt, bool NodeLost = false);

/// <summary>An owned sandbox as a listing finds it (from its labels and the engine's state).</summary>
public sealed record SandboxInfo(
    SandboxHandle Handle,
    string Runtime,
    string ImageVersion,
    string OwnerServerId,
    SandboxEngineState State,
    DateTimeOffset CreatedAt,
    IReadOnlyDictionary<string, string> Labels);

/// <summary>The labels every sandbox carries (Docker labels; Nomad job meta).</summary>
public static class SandboxLabels
{
    /// <summary>Present on every Polydev sandbox; its value is the label schema version.</summary>
    public const string Marker = "dev.polydev.sandbox";

    /// <summary>Polydev's sandbox id (<c>runtime_containers.id</c>).</summary>
    public const string Id = "dev.polydev.sandbox.id";

    public const string Owner = "dev.polydev.owner";

    /// <summary>The runtime kind the sandbox was leased for (<see cref="SandboxSpec.Runtime"/>).</summary>
    public const string Runtime = "dev.polydev.runtime";

    public const string ImageVersion = "dev.polydev.image-version";

    /// <summary>
    /// The lifecycle state the sandbox was created for (<c>warming</c>). Docker cannot change a label
    /// after creation, so the live state is the engine's (<see cref="SandboxInfo.State"/>) and the
    /// pool's (<c>runtime_containers</c>); this label only tells a reconciler how it started.
    /// </summary>
    public const string State = "dev.polydev.state";

    public const string SchemaVersion = "1";
}
