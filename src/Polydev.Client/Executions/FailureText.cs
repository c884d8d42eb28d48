using Polydev.Contracts;
using Polydev.Contracts.Jobs;

namespace Polydev.Client.Executions;

/// <summary>
/// A run that did not succeed, in one sentence a user can act on: what happened, and what to do about it, in the
/// user's words — no setting names, API fields or exception types (docs/events.md, "Failures"). What the CLI said
/// is the <see cref="JobFailure.Detail"/>, for <c>--verbose</c>.
/// </summary>
internal static class FailureText
{
    /// <param name="failure">The agent's classification, or for a run whose sandbox went away, <see cref="FailureKinds.SandboxLost"/>.</param>
    /// <param name="provider">Whose CLI ran.</param>
    /// <param name="credential">The credential it ran with, as the user knows it (its label and kind).</param>
    /// <param name="timeLimitSeconds">The run's time limit.</param>
    public static string For(JobFailure failure, string provider, CredentialSecretName credential, int timeLimitSeconds, int? exitCode)
    {
        var company = Providers.DisplayName(provider);
        var cli = Providers.CliName(provider);
        var status = failure.Status is { } code ? $" ({code})" : "";
        var stored = $"the {credential.Kind} stored as '{credential.Label}'";
        return failure.Kind switch
        {
            FailureKinds.CredentialRejected =>
                $"{company} rejected {stored}{status}. Replace it with `polydev credentials add {provider}`.",
            FailureKinds.RateLimited =>
                $"{company} is limiting requests for {stored}{status}. Wait a little and try again, or pick another credential with --credential.",
            FailureKinds.ProviderError =>
                $"{company} answered with an error{status}. Try again in a moment.",
            FailureKinds.ProviderUnreachable =>
                $"{company} could not be reached from the sandbox. Try again later; if it keeps happening, ask the server's operator whether it can reach the internet.",
            FailureKinds.EgressRefused =>
                $"The server's egress proxy would not connect the sandbox to {company}{status}. Ask the server's operator to check Polydev's egress.",
            FailureKinds.TimeLimit =>
                $"{cli} did not finish within {timeLimitSeconds} seconds and was stopped. Give it longer with --timeout.",
            FailureKinds.OutputLimit =>
                $"{cli}'s answer grew past the size the server allows and was cut off.",
            FailureKinds.Cancelled => "Cancelled.",
            FailureKinds.SandboxLost => failure.Detail switch
            {
                // The server's words for how the execution ended (docs/executions.md), said the user's way.
                "server_restart" => $"The Polydev server restarted while {cli} ran. Try again.",
                "out_of_memory" => $"{cli}'s sandbox ran out of memory and was stopped.",
                "node_lost" => $"The machine running {cli}'s sandbox went down. Try again: another one takes over.",
                "job_refused" => $"{cli}'s sandbox could not open the prompt. Try again.",
                "not_started" => $"The run did not start in time. Try again.",
                _ => $"The sandbox running {cli} went away before it finished. Try again.",
            },
            _ => $"{cli} stopped without finishing{(exitCode is { } exit ? $" (exit code {exit})" : "")}. Run again with --verbose to see what it printed.",
        };
    }
}

/// <summary>A credential as its owner knows it: its label, and what kind of credential it is, in words.</summary>
internal sealed record CredentialSecretName(string Label, string Kind)
{
    public static CredentialSecretName Of(Vault.CredentialSecret secret) =>
        new(secret.Label, secret.Type == Vault.CredentialSecret.ApiKey ? "API key" : "sign-in");
}
