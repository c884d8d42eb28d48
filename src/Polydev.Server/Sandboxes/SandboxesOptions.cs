using Polydev.Server.Runtimes;

namespace Polydev.Server.Sandboxes;

/// <summary>
/// Settings under <c>Sandboxes</c> (environment: <c>POLYDEV_SANDBOXES__…</c>): which engine runs sandboxes, the
/// pools' rhythm, and each runtime kind's settings. With <see cref="Engine"/> <c>none</c> the server runs no
/// sandboxes and the executions API answers 503. An engine's own settings are its section
/// (<c>Sandboxes:Docker:*</c>), read by the engine alone.
/// </summary>
public sealed class SandboxesOptions
{
    public const string Section = "Sandboxes";

    public const string NoEngine = "none";

    /// <summary>A registered engine's name (<c>docker</c>) or <c>none</c>. The shipped appsettings.json says <c>docker</c>.</summary>
    public string Engine { get; set; } = NoEngine;

    /// <summary>
    /// This server's name on the engine: every sandbox it creates carries it as its owner label, and after a
    /// restart it reconciles exactly the sandboxes with this name. Must be stable across restarts and unique
    /// among servers sharing an engine. Default: the machine's host name.
    /// </summary>
    public string? ServerId { get; set; }

    /// <summary>The agent channel's heartbeats and time-outs (<c>Sandboxes:Agent</c>).</summary>
    public Agents.AgentChannelOptions Agent { get; set; } = new();

    /// <summary>A ready sandbox unused this long is recycled (destroyed and replaced), so none grows stale.</summary>
    public TimeSpan IdleTtl { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the pools check their sandboxes are alive and their images current.</summary>
    public TimeSpan HealthInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many sandboxes the pools warm up at the same time (each costs a sandbox start and a key generation).</summary>
    public int WarmConcurrency { get; set; } = 4;

    /// <summary>
    /// How long a pool that still has a ready sandbox waits after one was taken before it warms a replacement: the
    /// replacement's start (a container, a key) would otherwise compete for CPU with the job that just started, whose
    /// CLI is starting too (issue 19). A pool with none ready refills at once. Zero refills at once always.
    /// </summary>
    public TimeSpan RefillDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Per runtime kind (<c>claude</c>, <c>codex</c>, <c>gemini</c>): image, warm target, ceiling, environment, limits.</summary>
    public Dictionary<string, RuntimeKindOptions> Runtimes { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public string EffectiveServerId => string.IsNullOrWhiteSpace(ServerId) ? Environment.MachineName : ServerId;

    public bool Enabled => !string.Equals(Engine, NoEngine, StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws with a message naming the setting when the configuration cannot work.</summary>
    /// <param name="engines">The engines registered (<see cref="SandboxEngineServices.AddSandboxEngine"/>).</param>
    public void Validate(IReadOnlyCollection<string> engines)
    {
        if (Enabled && !engines.Contains(Engine, StringComparer.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Sandboxes:Engine '{Engine}' is not known; use {string.Join(", ", engines.Select(e => $"'{e}'"))} or '{NoEngine}'.");
        }

        if (WarmConcurrency < 1)
        {
            throw new InvalidOperationException("Sandboxes:WarmConcurrency must be at least 1.");
        }

        if (RefillDelay < TimeSpan.Zero || RefillDelay > TimeSpan.FromMinutes(1))
        {
            throw new InvalidOperationException("Sandboxes:RefillDelay must be between 00:00:00 and 00:01:00.");
        }

        Agent.Validate();
    }
}
