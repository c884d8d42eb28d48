using Microsoft.Extensions.Logging;

namespace Polydev.Server.Pools;

/// <summary>What the pools log: ids, runtime kind, image versions, states, durations and reasons. Never job content.</summary>
internal static partial class PoolLog
{
    [LoggerMessage(EventName = "sandbox_ready", Level = LogLevel.Information, Message = "Sandbox {SandboxId} ({Runtime}, image version {ImageVersion}) ready in {DurationMs:0.0} ms")]
    public static partial void Ready(ILogger logger, string sandboxId, string runtime, string imageVersion, double durationMs);

    [LoggerMessage(EventName = "sandbox_warm_failed", Level = LogLevel.Warning, Message = "Warming a {Runtime} sandbox failed: {Problem}")]
    public static partial void WarmFailed(ILogger logger, string runtime, string problem);

    [LoggerMessage(EventName = "sandbox_destroyed", Level = LogLevel.Information, Message = "Sandbox {SandboxId} ({Runtime}) destroyed: {Reason}")]
    public static partial void Destroyed(ILogger logger, string sandboxId, string runtime, string reason);

    [LoggerMessage(EventName = "sandbox_allocated", Level = LogLevel.Information, Message = "Sandbox {SandboxId} ({Runtime}) allocated from the {Path} path in {DurationMs:0.00} ms")]
    public static partial void Allocated(ILogger logger, string sandboxId, string runtime, string path, double durationMs);

    [LoggerMessage(EventName = "pool_image", Level = LogLevel.Information, Message = "Pool {Runtime} serves image {Image} version {ImageVersion}")]
    public static partial void ImageVersion(ILogger logger, string runtime, string image, string imageVersion);

    [LoggerMessage(EventName = "pool_image_missing", Level = LogLevel.Warning, Message = "Pool {Runtime}: image {Image} is not on the engine; build it with 'polydev images build'. No sandboxes until it exists.")]
    public static partial void ImageMissing(ILogger logger, string runtime, string image);

    [LoggerMessage(EventName = "pool_reconciled", Level = LogLevel.Information, Message = "Reconciled with the engine as {ServerId}: {Destroyed} sandboxes of a previous run destroyed, {Missing} records of vanished sandboxes closed")]
    public static partial void Reconciled(ILogger logger, string serverId, int destroyed, int missing);

    [LoggerMessage(EventName = "pool_engine_error", Level = LogLevel.Warning, Message = "Pool maintenance failed, retrying: {Problem}")]
    public static partial void MaintenanceFailed(ILogger logger, string problem);

    [LoggerMessage(EventName = "pool_engine_recovered", Level = LogLevel.Information, Message = "The sandbox engine answers again; the sandbox network was checked")]
    public static partial void EngineRecovered(ILogger logger);
}
