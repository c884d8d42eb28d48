using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Polydev.Contracts;
using Polydev.Contracts.Egress;
using Polydev.Server.Accounts;

namespace Polydev.Server.Egress;

/// <summary>A user's own egress: their port and usage, proxy tokens, and a live check of the egress address.</summary>
public static class EgressEndpoints
{
    public const int MaxTokenLifetimeSeconds = 24 * 60 * 60;

    public static void MapEgressEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Egress").RequireAuthorization();
        group.MapGet(ApiRoutes.Egress, StatusAsync).WithSummary("Your egress port (allocated on first need) and the bytes it moved.");
        group.MapPost(ApiRoutes.EgressCheck, CheckAsync).WithSummary("Ask the configured what-is-my-IP service through your port.");
        group.MapPost(ApiRoutes.EgressTokens, CreateTokenAsync).WithSummary("A short-lived proxy token for your port; shown once.");
        group.MapGet(ApiRoutes.EgressTokens, ListTokensAsync).WithSummary("Your active proxy tokens (never the tokens themselves).");
        group.MapDelete(ApiRoutes.EgressTokens + "/{id:guid}", RevokeTokenAsync).WithSummary("Revoke a proxy token; the proxy refuses it at once.");

        app.MapGet(ApiRoutes.AdminEgressPorts, ListPortsAsync).WithTags("Admin")
            .RequireAuthorization(AdminRequirement.Policy)
            .WithSummary("Every allocated egress port with its owner and usage (operators).");
    }

    private static async Task<Results<Ok<EgressStatusResponse>, ProblemHttpResult>> StatusAsync(
        ClaimsPrincipal user, EgressService egress, IOptions<EgressOptions> options, CancellationToken cancellationToken)
    {
        var (port, unavailable) = await EnsurePortAsync(egress, user.UserId(), cancellationToken);
        if (unavailable is not null)
        {
            return unavailable;
        }

        var usage = egress.CurrentUsage(user.UserId(), port);
        return TypedResults.Ok(new EgressStatusResponse(
            port.Port,
            EgressLiveCheck.LocalAddress(options.Value.BindAddress),
            options.Value.Upstream.IsConfigured ? EgressModes.Upstream : EgressModes.Direct,
            usage.BytesUp,
            usage.BytesDown,
            usage.ActiveTunnels,
            UnixTime.ToDateTimeOffset(port.CreatedAt)));
    }

    private static async Task<Results<Ok<EgressCheckResponse>, ProblemHttpResult>> CheckAsync(
        ClaimsPrincipal user, EgressLiveCheck check, IOptions<EgressOptions> options, CancellationToken cancellationToken)
    {
        if (!check.IsConfigured)
        {
            return Problems.Unavailable("This server has no what-is-my-IP service configured (Egress:WhatIsMyIpUrl), so it cannot check the egress address.");
        }

        try
        {
            return TypedResults.Ok(await check.CheckAsync(user.UserId(), cancellationToken));
        }
        catch (EgressPortUnavailableException e)
        {
            return Problems.Unavailable(e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return Problems.BadGateway($"The check through your egress port failed: {e.Message}");
        }
    }

    private static async Task<Results<Created<EgressTokenCreatedResponse>, ValidationProblem, ProblemHttpResult>> CreateTokenAsync(
        CreateEgressTokenRequest request, ClaimsPrincipal user, EgressService egress, EgressTokenStore tokens, IOptions<EgressOptions> options, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        if (request.LifetimeSeconds is { } seconds && (seconds < 1 || seconds > MaxTokenLifetimeSeconds))
        {
            errors.Add("lifetimeSeconds", $"lifetimeSeconds must be between 1 and {MaxTokenLifetimeSeconds}.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (port, unavailable) = await EnsurePortAsync(egress, user.UserId(), cancellationToken);
        if (unavailable is not null)
        {
            return unavailable;
        }

        var lifetime = request.LifetimeSeconds is { } s ? TimeSpan.FromSeconds(s) : options.Value.TokenLifetime;
        var (token, record) = await tokens.IssueAsync(user.UserId(), lifetime, cancellationToken);
        var id = Guid.Parse(record.Id);
        var proxyUrl = $"http://polydev:{token}@{EgressLiveCheck.LocalAddress(options.Value.BindAddress)}:{port.Port}";
        return TypedResults.Created(ApiRoutes.EgressToken(id), new EgressTokenCreatedResponse(id, token, proxyUrl, UnixTime.ToDateTimeOffset(record.ExpiresAt)));
    }

    private static async Task<Ok<IReadOnlyList<EgressTokenResponse>>> ListTokensAsync(ClaimsPrincipal user, EgressTokenStore tokens, CancellationToken cancellationToken)
    {
        var active = await tokens.ListActiveAsync(user.UserId(), cancellationToken);
        return TypedResults.Ok<IReadOnlyList<EgressTokenResponse>>(active
            .Select(t => new EgressTokenResponse(Guid.Parse(t.Id), UnixTime.ToDateTimeOffset(t.CreatedAt), UnixTime.ToDateTimeOffset(t.ExpiresAt)))
            .ToList());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeTokenAsync(
        Guid id, ClaimsPrincipal user, EgressTokenStore tokens, EgressTokenAuthenticator authenticator, CancellationToken cancellationToken)
    {
        if (await tokens.RevokeAsync(user.UserId(), id, cancellationToken) is not { } hash)
        {
            return Problems.NotFound("No active proxy token with this id.");
        }

        authenticator.Forget(hash);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<Page<AdminEgressPortResponse>>> ListPortsAsync(EgressService egress, PortRegistry ports, CancellationToken cancellationToken)
    {
        var rows = await ports.ListWithEmailsAsync(cancellationToken);
        var items = rows.Select(row =>
        {
            var userId = Guid.Parse(row.Port.UserId);
            var usage = egress.CurrentUsage(userId, row.Port);
            return new AdminEgressPortResponse(userId, row.Email, row.Port.Port, usage.BytesUp, usage.BytesDown, usage.ActiveTunnels, UnixTime.ToDateTimeOffset(row.Port.CreatedAt));
        }).ToList();
        return TypedResults.Ok(new Page<AdminEgressPortResponse>(items, null));
    }

    /// <summary>The user's listening port, or the 503 problem that says why there is none.</summary>
    private static async Task<(UserProxyPort Port, ProblemHttpResult? Unavailable)> EnsurePortAsync(EgressService egress, Guid userId, CancellationToken cancellationToken)
    {
        try
        {
            return (await egress.EnsurePortAsync(userId, cancellationToken), null);
        }
        catch (EgressPortUnavailableException e)
        {
            return (null!, Problems.Unavailable(e.Message));
        }
    }
}
