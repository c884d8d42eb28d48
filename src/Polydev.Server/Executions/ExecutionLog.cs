using Microsoft.Extensions.Logging;

namespace Polydev.Server.Executions;

/// <summary>What executions log: ids, provider, states, reasons, sizes and times. Never a prompt, a credential or output.</summary>
internal static partial class ExecutionLog
{
    [LoggerMessage(EventName = "execution_created", Level = LogLevel.Information, Message = "Execution {ExecutionId} ({Provider}) allocated sandbox {SandboxId} (warm {Warm}) in {DurationMs:0.00} ms")]
    public static partial void Created(ILogger logger, string executionId, string provider, string sandboxId, bool warm, double durationMs);

    [LoggerMessage(EventName = "execution_finished", Level = LogLevel.Information, Message = "Execution {ExecutionId} ({Provider}) {State}: {Reason}, agent exit code {ExitCode}, {Chunks} chunks, {OutputBytes} bytes of ciphertext")]
    public static partial void Finished(ILogger logger, string executionId, string provider, string state, string reason, int? exitCode, long chunks, long outputBytes);

    [LoggerMessage(EventName = "execution_agent_stderr", Level = LogLevel.Warning, Message = "Execution {ExecutionId}: the sandbox agent exited with {ExitCode} and said: {AgentStderr}")]
    public static partial void AgentStderr(ILogger logger, string executionId, int? exitCode, string agentStderr);

    [LoggerMessage(EventName = "execution_stream_problem", Level = LogLevel.Warning, Message = "Execution {ExecutionId}: the agent's output stream was cut or malformed: {Problem}")]
    public static partial void StreamProblem(ILogger logger, string executionId, string problem);

    [LoggerMessage(EventName = "executions_interrupted", Level = LogLevel.Information, Message = "{Count} executions left allocated or running by a previous run of this server were failed (server_restart)")]
    public static partial void Interrupted(ILogger logger, int count);

    [LoggerMessage(EventName = "execution_token_revoke_failed", Level = LogLevel.Warning, Message = "Revoking proxy token {TokenId} failed; it expires on its own: {Problem}")]
    public static partial void RevokeFailed(ILogger logger, string tokenId, string problem);
}
