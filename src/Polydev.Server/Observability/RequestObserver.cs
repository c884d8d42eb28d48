using System.Diagnostics;

namespace Polydev.Server.Observability;

/// <summary>
/// One log line per request (method, route template, status, time), the request metrics and the count of refused
/// requests by reason, in one place for every endpoint. Bodies, headers and query strings are never logged: on vault
/// endpoints they are ciphertext at best and credentials at worst. Every label is bounded: the method is one of the
/// known ones or <c>OTHER</c>, the route is the endpoint's template (never the path), so no request a client invents
/// adds a series.
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
            var method = KnownMethod(context.Request.Method);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var code = StatusCodeLabels.TryGetValue(status, out var label) ? label : "other";
            metrics.HttpRequestDuration.WithLabels(method, route, code).Observe(elapsed.TotalSeconds);
            metrics.HttpRequestsReceived.WithLabels(method, route, code).Inc();
            LogRequest(logger, method, route, status, elapsed.TotalMilliseconds);
        }
    }

    /// <summary>The method as sent when it is one HTTP defines (methods are case-sensitive), else <c>OTHER</c>.</summary>
    internal static string KnownMethod(string method) => method switch
    {
        "GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE" or "OPTIONS" or "TRACE" or "CONNECT" => method,
        _ => "OTHER",
    };

    private static readonly Dictionary<int, string> StatusCodeLabels =
        Enumerable.Range(100, 500).ToDictionary(code => code, code => code.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Every <c>reason</c> a 4xx can be counted under.</summary>
    internal static IEnumerable<string> RefusalReasons =>
        Enumerable.Range(StatusCodes.Status400BadRequest, 100).Select(RefusalReason).OfType<string>().Distinct(StringComparer.Ordinal);

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
