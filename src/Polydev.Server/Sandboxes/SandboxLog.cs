using Microsoft.Extensions.Logging;

namespace Polydev.Server.Sandboxes;

/// <summary>
/// What the engines log: ids, runtime kind, image, limits, exit codes and the engine's error messages.
/// Never environment values, command arguments or process output (they may carry a user's data).
/// </summary>
internal static partial class SandboxLog
{
    [LoggerMessage(EventName = "sandbox_created", Level = LogLevel.Information, Message = "Sandbox {SandboxId} ({Runtime}, image {Image} version {ImageVersion}) created on {Engine} as {EngineId} in {DurationMs:0.0} ms: user {User}, memory {MemoryBytes} B, cpus {Cpus}, pids {PidsLimit}, network {Network}")]
    public static partial void Created(ILogger logger, string sandboxId, string runtime, string image, string imageVersion, string engine, string engineId, double durationMs, string user, long memoryBytes, double cpus, int pidsLimit, string network);

    [LoggerMessage(EventName = "sandbox_create_failed", Level = LogLevel.Warning, Message = "Sandbox {SandboxId} ({Runtime}, image {Image}) could not be created on {Engine}: {Problem}")]
    public static partial void CreateFailed(ILogger logger, string sandboxId, string runtime, string image, string engine, string problem);

    [LoggerMessage(EventName = "sandbox_exec_started", Level = LogLevel.Debug, Message = "Process started in sandbox {SandboxId} ({EnvironmentCount} environment variables, values not logged)")]
    public static partial void ExecStarted(ILogger logger, string sandboxId, int environmentCount);

    [LoggerMessage(EventName = "sandbox_destroyed", Level = LogLevel.Information, Message = "Sandbox {SandboxId} destroyed on {Engine} ({Outcome})")]
    public static partial void Destroyed(ILogger logger, string sandboxId, string engine, string outcome);
}
