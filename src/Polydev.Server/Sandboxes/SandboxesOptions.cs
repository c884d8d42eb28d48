using Polydev.Contracts;

namespace Polydev.Server.Sandboxes;

/// <summary>
/// Settings under <c>Sandboxes</c> (environment: <c>POLYDEV_SANDBOXES__…</c>): where sandboxes run and the
/// warm pool of each provider. With <see cref="Engine"/> <c>none</c> the server runs no sandboxes and the
/// executions API answers 503.
/// </summary>
public sealed class SandboxesOptions
{
    public const string Section = "Sandboxes";

    public const string NoEngine = "none";
    public const string DockerEngine = "docker";

    /// <summary><c>docker</c> (the local Engine API) or <c>none</c>. The shipped appsettings.json says <c>docker</c>.</summary>
    public string Engine { get; set; } = NoEngine;

    /// <summary>
    /// This server's name on the engine: every sandbox it creates carries it as its owner label, and after a
    /// restart it reconciles exactly the sandboxes with this name. Must be stable across restarts and unique
    /// among servers sharing an engine. Default: the machine's host name.
    /// </summary>
    public string? ServerId { get; set; }

    public string DockerSocket { get; set; } = Docker.DockerClient.DefaultSocket;

    /// <summary>The sandbox network (Docker): name, bridge interface and IPv4 subnet. The egress proxy must listen on its gateway.</summary>
    public SandboxNetworkSettings Network { get; set; } = new();

    /// <summary>Path of the sandbox agent inside the runtime images.</summary>
    public string AgentPath { get; set; } = "/usr/local/bin/polydev-agent";

    /// <summary>The agent channel's heartbeats and time-outs (<c>Sandboxes:Agent</c>).</summary>
    public Agents.AgentChannelOptions Agent { get; set; } = new();

    /// <summary>A ready sandbox unused this long is recycled (destroyed and replaced), so none grows stale.</summary>
    public TimeSpan IdleTtl { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the pools check their sandboxes are alive and their images current.</summary>
    public TimeSpan HealthInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many sandboxes the pools warm up at the same time (each costs a container start and a key generation).</summary>
    public int WarmConcurrency { get; set; } = 4;

    /// <summary>Per provider (<c>anthropic</c>, <c>openai</c>, <c>google</c>): image, warm target and ceiling.</summary>
    public Dictionary<string, ProviderPoolOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public string EffectiveServerId => string.IsNullOrWhiteSpace(ServerId) ? Environment.MachineName : ServerId;

    public bool Enabled => !string.Equals(Engine, NoEngine, StringComparison.OrdinalIgnoreCase);

    /// <summary>The pool settings of a known provider, defaults filled in.</summary>
    public ProviderPoolOptions For(string provider) =>
        Providers.TryGetValue(provider, out var options) ? options : new ProviderPoolOptions();

    public static string DefaultImage(string provider) => $"polydev/runtime-{provider}:latest";

    /// <summary>Throws with a message naming the setting when the configuration cannot work.</summary>
    public void Validate()
    {
        if (!Enabled)
        {
            return;
        }

        Agent.Validate();
        if (!string.Equals(Engine, DockerEngine, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Sandboxes:Engine '{Engine}' is not known; use 'docker' or 'none'.");
        }

        foreach (var (provider, pool) in Providers)
        {
            if (!Contracts.Providers.IsKnown(provider.ToLowerInvariant()))
            {
                throw new InvalidOperationException($"Sandboxes:Providers:{provider} is not a provider; use {string.Join(", ", Contracts.Providers.All)}.");
            }

            if (pool.WarmTarget < 0 || pool.MaxSandboxes < 1 || pool.WarmTarget > pool.MaxSandboxes)
            {
                throw new InvalidOperationException($"Sandboxes:Providers:{provider}: WarmTarget ({pool.WarmTarget}) must be between 0 and MaxSandboxes ({pool.MaxSandboxes}), and MaxSandboxes at least 1.");
            }
        }

        if (WarmConcurrency < 1)
        {
            throw new InvalidOperationException("Sandboxes:WarmConcurrency must be at least 1.");
        }
    }
}

/// <summary>One provider's pool.</summary>
public sealed class ProviderPoolOptions
{
    /// <summary>The runtime image; default <c>polydev/runtime-{provider}:latest</c>. Its <c>dev.polydev.image-version</c> label is the version the pool serves.</summary>
    public string? Image { get; set; }

    /// <summary>Ready sandboxes kept waiting.</summary>
    public int WarmTarget { get; set; } = 2;

    /// <summary>Most sandboxes of this provider alive at once (warming, ready and running); beyond it, executions are refused.</summary>
    public int MaxSandboxes { get; set; } = 32;

    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Environment of this provider's sandboxes (and so of their agent). Not for secrets: the engine shows it to the
    /// operator. Used to point the agent at another executable (<c>POLYDEV_AGENT_CLAUDE</c> …) in derived images.
    /// </summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

    public string ImageFor(string provider) => string.IsNullOrWhiteSpace(Image) ? SandboxesOptions.DefaultImage(provider) : Image;
}

/// <summary>The sandbox network's settings (see <see cref="Docker.DockerSandboxNetworkOptions"/>).</summary>
public sealed class SandboxNetworkSettings
{
    public string Name { get; set; } = "polydev-sandboxes";

    public string BridgeName { get; set; } = "pd-sandbox0";

    public string Subnet { get; set; } = "10.213.0.0/24";
}
