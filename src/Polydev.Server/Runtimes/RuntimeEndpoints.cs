using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Polydev.Contracts;
using Polydev.Contracts.Executions;
using Polydev.Server.Executions;
using Polydev.Server.Pools;

namespace Polydev.Server.Runtimes;

/// <summary>
/// <c>GET /api/runtimes</c>: what a signed-in user may run here — each provider's runtime kind, whether it is on, and
/// how many sandboxes wait warm (clients say that a first run without one takes longer), with the execution limits.
/// Counts only: nothing about other users.
/// </summary>
public static class RuntimeEndpoints
{
    public static void MapRuntimeEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Runtimes, List).WithTags("Executions").RequireAuthorization()
            .WithSummary("The providers this server runs, their warm sandboxes, and the execution limits.");
    }

    private static Ok<RuntimesResponse> List(RuntimeKinds kinds, IOptions<ExecutionsOptions> options, HttpContext context)
    {
        // Without an engine there are no pools: every kind is listed, none of them ready.
        var pools = context.RequestServices.GetService<SandboxPools>();
        var runtimes = kinds.All
            .Where(k => k.Provider is not null)
            .OrderBy(k => k.Provider, StringComparer.Ordinal)
            .Select(k => pools?.Find(k.Name) is { } pool
                ? new RuntimeResponse(k.Name, k.Provider!, k.Enabled, pool.ReadyCount, k.WarmTarget, pool.ImageVersion)
                : new RuntimeResponse(k.Name, k.Provider!, k.Enabled && pools is not null, 0, k.WarmTarget, null))
            .ToList();
        var limits = new ExecutionLimitsResponse((int)options.Value.MaxRunTime.TotalSeconds, options.Value.MaxOutputBytes);
        return TypedResults.Ok(new RuntimesResponse(pools is not null, runtimes, limits));
    }
}
