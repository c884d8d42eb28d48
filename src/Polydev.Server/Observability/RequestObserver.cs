using System.Diagnostics;

namespace Polydev.Server.Observability;

/// <summary>
/// One log line per request (method, route template, status, time) and the count of refused
/// requests by reason, in one place for every endpoint. Bodies, headers and query strings are
/// never logged: on vault endpoints they are ciphertext at best and credentials at worst.
/// </summary>
internal sealed partial class RequestObserver(RequestDelegate next, PolydevMetrics metrics, ILogger<RequestObserver> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var status = context.Response.StatusCode;
            if (RefusalReason(status) is { } reason)
            {
                metrics.RequestsRejected.WithLabels(reason).Inc();
            }

            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)";
            LogRequest(logger, context.Request.Method, route, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private static string? RefusalReason(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "invalid",
        StatusCodes.Status401Unauthorized => "unauthenticated",
        StatusCodes.Status403Forbidden => "forbidden",
        StatusCodes.Status404NotFound => "not_found",
        StatusCodes.Status405MethodNotAllowed => "method",
        StatusCodes.Status409Conflict => "conflict",
        StatusCodes.Status413PayloadTooLarge => "too_large",
        StatusCodes.Status415UnsupportedMediaType => "media_type",
        StatusCodes.Status429TooManyRequests => "throttled",
        >= 400 and < 500 => "other",
        _ => null,
    };

    [LoggerMessage(EventName = "request", Level = LogLevel.Information, Message = "{Method} {Route} -> {Status} in {ElapsedMs:0.0} ms")]
    private static partial void LogRequest(ILogger logger, string method, string route, int status, double elapsedMs);
}
