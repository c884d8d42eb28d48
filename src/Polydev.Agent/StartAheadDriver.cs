using System.Diagnostics;

namespace Polydev.Agent;

/// <summary>
/// How one provider's CLI is started before its job and handed the job when it arrives (docs/events.md, "Started
/// ahead"). Whatever a driver does before <see cref="Handover"/> holds nothing of any job: no credential, prompt,
/// proxy token, model or base URL.
/// </summary>
internal interface IStartAheadDriver
{
    /// <summary>The CLI's arguments when started ahead.</summary>
    string[] Arguments { get; }

    /// <summary>
    /// Whether the CLI reaches egress through the agent's relay, bound before the CLI starts (<see cref="Timing.EgressTap.Listen"/>):
    /// for a CLI that reads its proxy only at start.
    /// </summary>
    bool NeedsRelay { get; }

    /// <summary>Adds to the CLI's start what the driver needs there (files in HOME, variables): nothing of a job.</summary>
    void Prepare(ProcessStartInfo start, StartAheadSetup setup);

    /// <summary>Completes when the CLI has finished starting and can take a job; faults when it cannot.</summary>
    Task ReadyAsync(Process process, CancellationToken cancellationToken);

    /// <summary>Why the CLI started ahead cannot serve <paramref name="job"/> (then the job starts its own), or null when it can.</summary>
    string? CannotTake(Job job, StartAheadSetup setup);

    /// <summary>The dialogue that hands <paramref name="job"/> to the waiting CLI.</summary>
    ICliDialogue Handover(StartAheadJob job);
}

/// <summary>What a CLI started ahead was given at start, the same for every job.</summary>
/// <param name="Home">The sandbox's home, the CLI's HOME and working directory.</param>
/// <param name="RelayUrl">The relay's bare loopback address, when the driver needs one.</param>
/// <param name="TrustedCaFile">The file of the certificate authorities trusted from the start, or null.</param>
/// <param name="TrustedCertificates">Those certificates (DER), to compare with a job's CA bundle.</param>
internal sealed record StartAheadSetup(string Home, string? RelayUrl, string? TrustedCaFile, IReadOnlyList<byte[]> TrustedCertificates);

/// <summary>What a CLI started ahead learns when its job arrives.</summary>
/// <param name="Prompt">The prompt, with the conversation so far before it.</param>
/// <param name="Model">The model the job names, or null for the CLI's default.</param>
/// <param name="Environment">The job's own variables: proxy, base URL, CA file.</param>
/// <param name="Credential">The job's credential (already placed in its files).</param>
/// <param name="BaseUrl">The job's base URL, or null.</param>
/// <param name="Home">The sandbox's home.</param>
internal sealed record StartAheadJob(string Prompt, string? Model, IReadOnlyDictionary<string, string> Environment, JobCredential Credential, string? BaseUrl, string Home);
