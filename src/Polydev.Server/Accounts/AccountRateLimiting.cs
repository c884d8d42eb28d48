using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Polydev.Server.Accounts;

/// <summary>
/// ASP.NET Core's rate limiter on sign-up, login (with recovery) and pre-login, partitioned by client address
/// (<see cref="ClientAddress"/>): sign-up and login run the server-side KDF, so unthrottled they turn a few requests
/// into much CPU. Refusals are <c>429</c> problems with <c>Retry-After</c>, counted by endpoint group and logged.
/// </summary>
public static partial class AccountRateLimiting
{
    public const string Signup = "signup";
    public const string Login = "login";
    public const string Prelogin = "prelogin";

    public static IServiceCollection AddAccountRateLimiting(this IServiceCollection services)
    {
        services.AddSingleton(_ => new RateLimitMetrics(Metrics.DefaultRegistry));
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            AddPolicy(options, Signup, limits => limits.Signup);
            AddPolicy(options, Login, limits => limits.Login);
            AddPolicy(options, Prelogin, limits => limits.Prelogin);
            options.OnRejected = RejectAsync;
        });
        return services;
    }

    private static void AddPolicy(RateLimiterOptions options, string name, Func<AccountRateLimits, RateLimit> pick) =>
        options.AddPolicy(name, context =>
        {
            var limit = pick(context.RequestServices.GetRequiredService<IOptions<AccountsOptions>>().Value.RateLimits);
            var address = ClientAddress.Of(context);
            return limit.IsOn
                ? RateLimitPartition.GetTokenBucketLimiter(address, _ => limit.ToTokenBucket())
                : RateLimitPartition.GetNoLimiter(address);
        });

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var group = context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName ?? "other";
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 60;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        context.RequestServices.GetRequiredService<RateLimitMetrics>().Refusals.WithLabels(group).Inc();
        LogRefused(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AccountRateLimiting)), group, seconds);

        var what = group switch
        {
            Signup => "sign-ups",
            Login => "sign-in and recovery requests",
            Prelogin => "pre-login requests",
            _ => "requests",
        };
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"Too many {what} from this address; try again in {seconds} seconds.",
            },
        });
    }

    [LoggerMessage(EventName = "rate_limited", Level = LogLevel.Warning, Message = "Refused a {Group} request from an address over its rate limit; retry after {RetryAfterSeconds} s")]
    private static partial void LogRefused(ILogger logger, string group, int retryAfterSeconds);
}

/// <summary><c>polydev_rate_limit_refusals_total{endpoint}</c>: requests the per-address rate limiter refused, by endpoint group.</summary>
public sealed class RateLimitMetrics(CollectorRegistry registry)
{
    public Counter Refusals { get; } = registry.Counter(
        "polydev_rate_limit_refusals_total",
        "Requests refused by the per-address rate limit, by endpoint group (signup, login, prelogin).",
        "endpoint");
}
