namespace Polydev.Server.Runtimes;

/// <summary>
/// The operator's settings of one runtime kind, <c>Sandboxes:Runtimes:{kind}:*</c> (environment:
/// <c>POLYDEV_SANDBOXES__RUNTIMES__{KIND}__…</c>). Every field left unset keeps the kind's registered default.
/// </summary>
public sealed class RuntimeKindOptions
{
    public string? Image { get; set; }

    public int? WarmTarget { get; set; }

    public int? MaxSandboxes { get; set; }

    public bool? Enabled { get; set; }

    /// <summary>False: the provider's CLI starts when the job arrives, not while the sandbox waits.</summary>
    public bool? StartAhead { get; set; }

    /// <summary>Added to (or replacing entries of) the kind's sandbox environment. Not for secrets.</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

    public long? MemoryBytes { get; set; }

    public double? Cpus { get; set; }

    public int? PidsLimit { get; set; }

    public long? ScratchBytes { get; set; }
}
