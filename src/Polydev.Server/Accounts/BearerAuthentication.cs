using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Polydev.Contracts.Accounts;

namespace Polydev.Server.Accounts;

/// <summary>
/// Authenticates <c>Authorization: Bearer pd_…</c> against <c>auth_sessions</c>. Refusals are
/// problem responses that say why (missing, unknown, expired, revoked) without saying whose.
/// </summary>
public sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    BearerTokenValidator tokens,
    PolydevMetrics metrics,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Bearer";

    private const string FailureKey = "polydev.auth.failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Fail("scheme", "Use an Authorization header of the form 'Bearer <token>'.");
        }

        var (session, reason, detail) = await tokens.ValidateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (session is null)
        {
            return Fail(reason!, detail!);
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(PolydevClaims.UserIdClaim, session.UserId),
                new Claim(PolydevClaims.SessionIdClaim, session.Id),
                new Claim(PolydevClaims.TokenKindClaim, session.Kind),
            ],
            SchemeName);
        if (session.KeyRotationRequired)
        {
            identity.AddClaim(new Claim(PolydevClaims.KeyRotationRequiredClaim, "true"));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var detail = Context.Items[FailureKey] as string ?? "Sign in first: send 'Authorization: Bearer <token>'.";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = 401, Title = "Unauthorized", Detail = detail },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails
            {
                Status = 403,
                Title = "Forbidden",
                Detail = Context.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>()?.Policy == AdminRequirement.Policy
                    ? "This is an operator endpoint: sign in with the password of an account listed in the server's Admin:Emails."
                    : "API tokens cannot manage sessions, tokens, the password or the account; sign in with the password for this.",
            },
        });
    }

    private AuthenticateResult Fail(string reason, string detail)
    {
        metrics.AuthenticationFailures.WithLabels(reason).Inc();
        Context.Items[FailureKey] = detail;
        return AuthenticateResult.Fail(detail);
    }
}

/// <summary>Claim types Polydev puts on an authenticated request.</summary>
public static class PolydevClaims
{
    public const string UserIdClaim = "polydev:user";
    public const string SessionIdClaim = "polydev:session";
    public const string TokenKindClaim = "polydev:token-kind";

    /// <summary>Present when a reset with the recovery code left the account waiting for a key rotation.</summary>
    public const string KeyRotationRequiredClaim = "polydev:key-rotation-required";

    /// <summary>Authorization policy: signed in with the password (a session), not an API token.</summary>
    public const string InteractivePolicy = "interactive";

    public static Guid UserId(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(UserIdClaim)!);

    public static Guid SessionId(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(SessionIdClaim)!);

    public static bool IsInteractive(this ClaimsPrincipal user) => user.FindFirstValue(TokenKindClaim) == TokenKinds.Session;

    /// <summary>Whether the account's keys must be rotated (read with the session) before the vault takes writes.</summary>
    public static bool IsKeyRotationRequired(this ClaimsPrincipal user) => user.HasClaim(claim => claim.Type == KeyRotationRequiredClaim);
}
