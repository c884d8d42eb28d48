using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;

namespace Polydev.Server.Accounts;

/// <summary>
/// Long-lived API tokens for scripts and MCP. They reach the vault's ciphertext like a session,
/// but cannot mint tokens, manage sessions or touch the password: only a password login can.
/// </summary>
public static class ApiTokenEndpoints
{
    public const int MaxNameLength = 100;

    public static void MapApiTokenEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(ApiRoutes.Tokens).WithTags("API tokens")
            .RequireAuthorization(PolydevClaims.InteractivePolicy)
            .WithRequestBodyLimit(AuthEndpoints.AccountsRequestLimit);
        group.MapPost("", CreateAsync).WithSummary("Create an API token; the token is returned once.");
        group.MapGet("", ListAsync).WithSummary("Active API tokens (never the tokens themselves).");
        group.MapDelete("{id:guid}", RevokeAsync).WithSummary("Revoke an API token.");
    }

    private static async Task<Results<Created<ApiTokenCreatedResponse>, ValidationProblem>> CreateAsync(
        CreateApiTokenRequest request, ClaimsPrincipal principal, SessionIssuer issuer, IOptions<AccountsOptions> options, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var name = request.Name?.Trim() ?? "";
        if (name.Length is 0 or > MaxNameLength)
        {
            errors.Add("name", $"name must be 1 to {MaxNameLength} characters.");
        }

        AccountRules.CheckDisplayName(request.Name, "name", errors);

        var maxDays = options.Value.MaxApiTokenDays;
        if (request.ExpiresInDays is { } days && (days < 1 || days > maxDays))
        {
            errors.Add("expiresInDays", $"expiresInDays must be between 1 and {maxDays}.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var lifetime = TimeSpan.FromDays(request.ExpiresInDays ?? maxDays);
        var (token, session) = await issuer.IssueAsync(principal.UserId(), TokenKinds.Api, name, lifetime, cancellationToken);
        var id = Guid.Parse(session.Id);
        return TypedResults.Created(
            ApiRoutes.Token(id),
            new ApiTokenCreatedResponse(id, name, token, UnixTime.ToDateTimeOffset(session.CreatedAt), UnixTime.ToDateTimeOffset(session.ExpiresAt)));
    }

    private static Task<Ok<IReadOnlyList<SessionResponse>>> ListAsync([AsParameters] SessionRequest request) => request.ListAsync(TokenKinds.Api);

    private static Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(Guid id, [AsParameters] SessionRequest request) =>
        request.RevokeAsync(TokenKinds.Api, id, "No active API token with this id.");
}
