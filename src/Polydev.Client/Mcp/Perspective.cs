using Polydev.Client.Executions;

namespace Polydev.Client.Mcp;

/// <summary>One provider's answer to an MCP prompt, or why there is none.</summary>
/// <param name="Failure">The honest-failures kind (<c>FailureKinds</c>), <c>no_credential</c> or <c>refused</c>; null when it answered.</param>
/// <param name="Reason">The failure in one sentence for the user.</param>
internal sealed record Perspective(
    string Provider,
    string? Model,
    string Answer,
    string? Failure,
    string? Reason,
    double? Seconds,
    double? FirstTextSeconds,
    long? InputTokens,
    long? OutputTokens,
    double? CostUsd,
    bool? WarmSandbox,
    Guid? ExecutionId,
    Polydev.Contracts.Jobs.JobTimings? SandboxTimings = null)
{
    public const string NoCredential = "no_credential";
    public const string Refused = "refused";

    public bool Succeeded => Failure is null;

    public static Perspective From(RunOutcome outcome)
    {
        var phases = outcome.Phases;
        var transcript = outcome.Transcript;
        return new Perspective(
            outcome.Request.Provider,
            transcript.Model ?? outcome.Request.Model,
            transcript.Answer,
            outcome.Failure?.Kind,
            outcome.FailureSentence,
            ToSeconds(phases?.Find(RunPhases.Done)?.ElapsedMs),
            ToSeconds(phases?.Find(RunPhases.FirstOutput)?.ElapsedMs),
            transcript.Usage?.InputTokens,
            transcript.Usage?.OutputTokens,
            transcript.CostUsd,
            phases?.Warm,
            outcome.Created.Id,
            transcript.Timings);
    }

    /// <summary>The run never started: no credential, or the server refused it (no capacity, a disabled runtime).</summary>
    public static Perspective NotRun(string provider, string kind, string reason) =>
        new(provider, null, "", kind, reason, null, null, null, null, null, null, null);

    private static double? ToSeconds(long? milliseconds) => milliseconds is { } ms ? Math.Round(ms / 1000.0, 2) : null;
}
