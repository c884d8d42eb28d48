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
    public const string Exit = "exit";
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
