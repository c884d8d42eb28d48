using Microsoft.Extensions.Logging;

namespace Polydev.Server.Login.Sessions;

internal static partial class LoginSessionLog
{
    [LoggerMessage(EventName = "login_session_started", Level = LogLevel.Information, Message = "Login session {SessionId} started for user {UserId} on sandbox {SandboxId} (warm {Warm})")]
    public static partial void Started(ILogger logger, Guid sessionId, Guid userId, string sandboxId, bool warm);

    [LoggerMessage(EventName = "login_session_opened", Level = LogLevel.Information, Message = "Login session {SessionId} opened")]
    public static partial void Opened(ILogger logger, Guid sessionId);

    [LoggerMessage(EventName = "login_session_ended", Level = LogLevel.Information, Message = "Login session {SessionId} ended: {Reason} after {DurationSeconds:0.0} s")]
    public static partial void Ended(ILogger logger, Guid sessionId, string reason, double durationSeconds);

    [LoggerMessage(EventName = "login_session_channel", Level = LogLevel.Information, Message = "Login session {SessionId} viewer channel {Event}")]
    public static partial void Channel(ILogger logger, Guid sessionId, string @event);
}
