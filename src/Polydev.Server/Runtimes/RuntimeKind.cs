using Polydev.Server.Sandboxes;

namespace Polydev.Server.Runtimes;

/// <summary>
/// What a sandbox is leased for: one record says which image it runs, under which limits, whether it may reach the
/// egress proxy, how its agent starts, how many are kept warm, and which provider's executions it serves. Pools are
/// keyed by kind; adding a kind is one <see cref="RuntimeKindServices.AddRuntimeKind"/> call.
/// </summary>
/// <param name="Name">The kind's name (<c>claude</c>, <c>codex</c>, <c>gemini</c>, later <c>login</c>): the pool's key, a sandbox label and a metric label.</param>
/// <param name="Image">The engine's image reference; its <c>dev.polydev.image-version</c> label is the version the pool serves.</param>
public sealed record RuntimeKind(string Name, string Image)
{
    /// <summary>The API provider (<c>anthropic</c>, …) whose executions this kind serves; null for a kind executions never lease.</summary>
    public string? Provider { get; init; }

    public SandboxLimits Limits { get; init; } = SandboxLimits.Default;

    public RuntimeEgress Egress { get; init; } = RuntimeEgress.Proxy;

    public AgentEntrypoint Agent { get; init; } = AgentEntrypoint.Default;

    /// <summary>
    /// Whether the agent of a ready sandbox starts the provider's CLI while it waits (<c>serve --start-ahead</c>), so a
    /// job finds the CLI's start-up already done. The CLI holds nothing of any job until its job arrives; it costs the
    /// waiting sandbox the CLI's idle memory (docs/executions.md, "Started ahead").
    /// </summary>
    public bool StartAhead { get; init; } = true;

    /// <summary>The agent's command line in this kind's sandboxes.</summary>
    public IReadOnlyList<string> AgentCommand => StartAhead && Provider is { } provider ? [.. Agent.Command, "--start-ahead", provider] : Agent.Command;

    /// <summary>Ready sandboxes kept waiting.</summary>
    public int WarmTarget { get; init; } = 2;

    /// <summary>Most sandboxes of this kind alive at once (warming, ready and running); beyond it, leases are refused.</summary>
    public int MaxSandboxes { get; init; } = 32;

    /// <summary>A disabled kind has no pool; leasing it is refused.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Environment of the kind's sandboxes (and so of their agent). Not for secrets: the engine shows it to the operator.
    /// Points the agent at another executable (<c>POLYDEV_AGENT_CLAUDE</c> …) in derived images.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>This kind with the operator's settings (<c>Sandboxes:Runtimes:{Name}:*</c>) laid over it.</summary>
    public RuntimeKind Configure(RuntimeKindOptions? options)
    {
        if (options is null)
        {
            return this;
        }

        var environment = new Dictionary<string, string>(Environment, StringComparer.Ordinal);
        foreach (var (key, value) in options.Environment)
        {
            environment[key] = value;
        }

        return this with
        {
            Image = string.IsNullOrWhiteSpace(options.Image) ? Image : options.Image,
            WarmTarget = options.WarmTarget ?? WarmTarget,
            MaxSandboxes = options.MaxSandboxes ?? MaxSandboxes,
            Enabled = options.Enabled ?? Enabled,
            StartAhead = options.StartAhead ?? StartAhead,
            Environment = environment,
            Limits = Limits with
            {
                MemoryBytes = options.MemoryBytes ?? Limits.MemoryBytes,
                Cpus = options.Cpus ?? Limits.Cpus,
                PidsLimit = options.PidsLimit ?? Limits.PidsLimit,
                ScratchBytes = options.ScratchBytes ?? Limits.ScratchBytes,
            },
        };
    }

    /// <summary>Throws with a message naming the setting when the kind cannot work.</summary>
    public void Validate()
    {
        var key = $"Sandboxes:Runtimes:{Name}";
        if (string.IsNullOrWhiteSpace(Name) || !Name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new InvalidOperationException($"Runtime kind '{Name}': a name is lower-case letters, digits and '-'.");
        }

        if (string.IsNullOrWhiteSpace(Image))
        {
            throw new InvalidOperationException($"{key}:Image is empty.");
        }

        if (WarmTarget < 0 || MaxSandboxes < 1 || WarmTarget > MaxSandboxes)
        {
            throw new InvalidOperationException($"{key}: WarmTarget ({WarmTarget}) must be between 0 and MaxSandboxes ({MaxSandboxes}), and MaxSandboxes at least 1.");
        }
    }
}

/// <summary>Whether a kind's sandboxes reach anything beyond their loopback.</summary>
public enum RuntimeEgress
{
    /// <summary>No network interface but loopback.</summary>
    None,

    /// <summary>The engine's sandbox network: the egress proxy's address (<see cref="Sandboxes.ISandboxNetworkSetup.EgressAddress"/>) and nothing else.</summary>
    Proxy,
}

/// <summary>How the sandbox agent starts in a warm sandbox: the program and its arguments.</summary>
public sealed record AgentEntrypoint(string Path, IReadOnlyList<string> Arguments)
{
    /// <summary><c>/usr/local/bin/polydev-agent serve</c>: prints its one-job public key, then waits for the sealed job on stdin.</summary>
    public static AgentEntrypoint Default { get; } = new("/usr/local/bin/polydev-agent", ["serve"]);

    public IReadOnlyList<string> Command => [Path, .. Arguments];
}
