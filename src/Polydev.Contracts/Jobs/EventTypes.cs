namespace Polydev.Contracts.Jobs;

/// <summary>The <c>type</c> of each <see cref="AgentEvent"/>.</summary>
public static class EventTypes
{
    public const string Accepted = "accepted";
    public const string Start = "start";
    public const string Text = "text";
    public const string ToolUse = "tool_use";
    public const string ToolResult = "tool_result";
    public const string Result = "result";
    public const string Error = "error";
    public const string Retry = "retry";
    public const string Exit = "exit";
    public const string Credential = "credential";
}

/// <summary>The <see cref="ExitEvent.Reason"/>: how the job ended (docs/events.md).</summary>
public static class ExitReasons
{
    /// <summary>The CLI exited with code 0.</summary>
    public const string Ok = "ok";

    /// <summary>The job's time limit passed; the CLI's process tree was killed.</summary>
    public const string Timeout = "timeout";

    /// <summary>The next event would have passed the job's output limit; not sent, the tree killed.</summary>
    public const string OutputLimit = "output_limit";

    /// <summary>A non-zero exit, or the CLI could not start.</summary>
    public const string CliError = "cli_error";

    /// <summary>A signal the agent did not send (e.g. the OOM killer), or a cancel.</summary>
    public const string Killed = "killed";
}

/// <summary>The <see cref="ErrorEvent.Source"/>.</summary>
public static class ErrorSources
{
    /// <summary>The CLI reported an error event.</summary>
    public const string Cli = "cli";

    /// <summary>A line on the CLI's stdout that was not JSON.</summary>
    public const string Stdout = "stdout";

    /// <summary>The CLI's stderr (its last 8 KiB), once, just before <c>exit</c>.</summary>
    public const string Stderr = "stderr";

    /// <summary>The agent's own: the CLI could not start, a line too long was dropped.</summary>
    public const string Agent = "agent";
}

/// <summary>
/// The <see cref="JobFailure.Kind"/>: why a job did not succeed, as the agent classified it from what it saw — the
/// provider's HTTP status in the CLI's errors and retries, the proxy's answer to the tunnel, the CLI's exit — so that
/// clients can say in one sentence what to do (docs/events.md, "Failures").
/// </summary>
public static class FailureKinds
{
    /// <summary>The provider answered 401 or 403: the key or sign-in is wrong, expired or revoked.</summary>
    public const string CredentialRejected = "credential_rejected";

    /// <summary>The provider answered 429.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>The provider answered another error (5xx, 4xx other than the above).</summary>
    public const string ProviderError = "provider_error";

    /// <summary>No answer from the provider: connection refused or reset, no such host, the egress could not reach it.</summary>
    public const string ProviderUnreachable = "provider_unreachable";

    /// <summary>The egress proxy refused the tunnel (its token, or a destination it does not allow).</summary>
    public const string EgressRefused = "egress_refused";

    /// <summary>The CLI failed, crashed or was killed, and nothing above explains it.</summary>
    public const string CliCrashed = "cli_crashed";

    /// <summary>The job's time limit passed.</summary>
    public const string TimeLimit = "time_limit";

    /// <summary>The job's output limit was reached.</summary>
    public const string OutputLimit = "output_limit";

    /// <summary>The user cancelled.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The sandbox went away before the agent's final chunk (decided by the server or the client, never the agent).</summary>
    public const string SandboxLost = "sandbox_lost";
}
