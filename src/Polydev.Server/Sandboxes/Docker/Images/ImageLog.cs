using Microsoft.Extensions.Logging;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>What image builds log: references, versions, durations, and the daemon's or tool's error message.</summary>
internal static partial class ImageLog
{
    [LoggerMessage(EventName = "image_base_started", Level = LogLevel.Information, Message = "Making base image {Reference} with debootstrap from {Mirror}")]
    public static partial void BaseStarted(ILogger logger, string reference, string mirror);

    [LoggerMessage(EventName = "image_base_made", Level = LogLevel.Information, Message = "Base image {Reference} made in {DurationSeconds:0.0} s")]
    public static partial void BaseMade(ILogger logger, string reference, double durationSeconds);

    [LoggerMessage(EventName = "image_up_to_date", Level = LogLevel.Information, Message = "Runtime image {Reference} ({Provider}) is up to date")]
    public static partial void UpToDate(ILogger logger, string reference, string provider);

    [LoggerMessage(EventName = "image_build_started", Level = LogLevel.Information, Message = "Building runtime image {Reference} ({Provider}) on base {Base}")]
    public static partial void BuildStarted(ILogger logger, string reference, string provider, string @base);

    [LoggerMessage(EventName = "image_build_output", Level = LogLevel.Debug, Message = "{Provider}: {Line}")]
    public static partial void BuildOutput(ILogger logger, string provider, string line);

    [LoggerMessage(EventName = "image_built", Level = LogLevel.Information, Message = "Runtime image {Reference} ({Provider}) built as {ImageId} in {DurationSeconds:0.0} s")]
    public static partial void Built(ILogger logger, string reference, string provider, string imageId, double durationSeconds);

    [LoggerMessage(EventName = "image_build_failed", Level = LogLevel.Warning, Message = "Runtime image for {Provider} could not be built: {Problem}")]
    public static partial void BuildFailed(ILogger logger, string provider, string problem);
}
