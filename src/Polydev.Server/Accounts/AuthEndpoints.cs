using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Crypto;

namespace Polydev.Server.Accounts;

/// <summary>Sign-up, pre-login, login, logout, sessions and recovery: everything before and around a session.</summary>
public static class AuthEndpoints
{
    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var anonymous = app.MapGroup("").WithTags("Accounts").AllowAnonymous().WithRequestBodyLimit(AccountsRequestLimit);
        anonymous.MapPost(ApiRoutes.Accounts, SignupAsync).RequireRateLimiting(AccountRateLimiting.Signup).WithSummary("Create an account from client-made key material.");
        anonymous.MapPost(ApiRoutes.Prelogin, PreloginAsync).RequireRateLimiting(AccountRateLimiting.Prelogin).WithSummary("KDF parameters for an e-mail; never reveals whether the account exists.");
        anonymous.MapPost(ApiRoutes.Login, LoginAsync).RequireRateLimiting(AccountRateLimiting.Login).WithSummary("Exchange authKey for a session token and the wrapped keys.");
        anonymous.MapPost(ApiRoutes.RecoveryVerify, RecoveryVerifyAsync).RequireRateLimiting(AccountRateLimiting.Login).WithSummary("Prove the recovery code; returns userKey wrapped by it.");
        anonymous.MapPost(ApiRoutes.RecoveryReset, RecoveryResetAsync).RequireRateLimiting(AccountRateLimiting.Login).WithSummary("Set a new password with the recovery code (spent by it); revokes every session. The keys must be rotated before the vault takes writes again.");

        var signedIn = app.MapGroup("").WithTags("Sessions").RequireAuthorization();
        signedIn.MapPost(ApiRoutes.Logout, LogoutAsync).WithSummary("Revoke the token this request carries.");

        var interactive = app.MapGroup(ApiRoutes.Sessions).WithTags("Sessions").RequireAuthorization(PolydevClaims.InteractivePolicy);
        interactive.MapGet("", ListSessionsAsync).WithSummary("Active login sessions.");
        interactive.MapDelete("{id:guid}", RevokeSessionAsync).WithSummary("Revoke one login session.");
        interactive.MapDelete("", RevokeOtherSessionsAsync).WithSummary("Sign out everywhere else: revoke every other login session.");
    }

    /// <summary>Account requests carry keys, not content; 64 KiB is generous.</summary>
    public const long AccountsRequestLimit = 64 * 1024;

    private static async Task<Results<Created<AccountCreatedResponse>, ValidationProblem, ProblemHttpResult>> SignupAsync(
        SignupRequest request, AccountRules rules, AccountStore accounts, SecretHasher hasher, TimeProvider clock, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        rules.CheckSignup(request, errors, out var email);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var now = UnixTime.Now(clock);
        var user = new UserRecord
        {
            Id = request.UserId.ToString("D"),
            Email = email,
            KdfAlgorithm = request.Kdf.Algorithm,
            KdfIterations = request.Kdf.Iterations,
            KdfSalt = request.Kdf.Salt,
            AuthKeyHash = hasher.Hash(request.AuthKey),
            UserKey = request.UserKey.Envelope,
            PublicKey = request.PublicKey,
            PrivateKey = request.PrivateKey.Envelope,
            RecoveryAuthHash = request.Recovery is { } recovery ? hasher.Hash(recovery.AuthKey) : null,
            RecoveryUserKey = request.Recovery?.UserKey.Envelope,
            CreatedAt = now,
            UpdatedAt = now,
        };

        if (!await accounts.TryCreateAsync(user, cancellationToken))
        {
            return Problems.Conflict("An account with this e-mail or user id already exists.");
        }

        metrics.AccountsCreated.Inc();
        return TypedResults.Created(ApiRoutes.Account, new AccountCreatedResponse(request.UserId, email, UnixTime.ToDateTimeOffset(now)));
    }

    private static async Task<Results<Ok<PreloginResponse>, ValidationProblem>> PreloginAsync(
        PreloginRequest request, AccountStore accounts, PreloginSalts decoys, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        AccountRules.CheckEmail(request.Email, errors, out var email);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var user = await accounts.FindByEmailAsync(email, cancellationToken);
        var kdf = user is null
            ? new KdfDto(KdfParameters.Pbkdf2Sha256, KdfParameters.DefaultIterations, decoys.DecoySalt(email))
            : new KdfDto(user.KdfAlgorithm, (int)user.KdfIterations, user.KdfSalt);
        return TypedResults.Ok(new PreloginResponse(kdf));
    }

    private static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        LoginRequest request, HttpContext context, AccountStore accounts, SecretHasher hasher, AttemptThrottle throttle, SessionIssuer issuer, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        AccountRules.CheckEmail(request.Email, errors, out var email);
        AccountRules.CheckProof(request.AuthKey, "authKey", errors);
        if (request.DeviceName is { Length: > AccountRules.MaxDeviceNameLength })
        {
            errors.Add("deviceName", $"deviceName may be at most {AccountRules.MaxDeviceNameLength} characters.");
        }

        AccountRules.CheckDisplayName(request.DeviceName, "deviceName", errors);

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var address = ClientAddress.Of(context);
        var attempt = throttle.TryAcquire(email, address);
        if (!attempt.IsAllowed)
        {
            metrics.Logins.WithLabels("throttled").Inc();
            return TooMany(context, attempt.RetryAfter, "Too many sign-in attempts");
        }

        await throttle.SlowDownAsync(attempt, cancellationToken);

        var user = await accounts.FindByEmailAsync(email, cancellationToken);
        if (user is null)
        {
            hasher.VerifyNothing(request.AuthKey);
        }

        if (user is null || !hasher.Verify(request.AuthKey, user.AuthKeyHash))
        {
            throttle.Failed(email);
            metrics.Logins.WithLabels("bad_credentials").Inc();
            return Problems.Unauthorized("The e-mail or password is wrong.");
        }

        throttle.Succeeded(email, address);
        var (token, session) = await issuer.IssueAsync(user.UserId, TokenKinds.Session, request.DeviceName, null, cancellationToken);
        metrics.Logins.WithLabels("success").Inc();
        return TypedResults.Ok(new LoginResponse(token, Guid.Parse(session.Id), UnixTime.ToDateTimeOffset(session.ExpiresAt), AccountViews.ToKeys(user)));
    }

    private static async Task<NoContent> LogoutAsync([AsParameters] SessionRequest request)
    {
        if (await request.Sessions.RevokeAsync(request.User.UserId(), request.User.SessionId(), null, request.Now, request.Aborted))
        {
            request.Metrics.TokensRevoked.WithLabels(request.User.IsInteractive() ? TokenKinds.Session : TokenKinds.Api).Inc();
        }

        return TypedResults.NoContent();
    }

    private static Task<Ok<IReadOnlyList<SessionResponse>>> ListSessionsAsync([AsParameters] SessionRequest request) => request.ListAsync(TokenKinds.Session);

    private static Task<Results<NoContent, ProblemHttpResult>> RevokeSessionAsync(Guid id, [AsParameters] SessionRequest request) =>
        request.RevokeAsync(TokenKinds.Session, id, "No active session with this id.");

    private static async Task<NoContent> RevokeOtherSessionsAsync([AsParameters] SessionRequest request)
    {
        var revoked = await request.Sessions.RevokeSessionsAsync(request.User.UserId(), request.User.SessionId(), request.Now, request.Aborted);
        request.Metrics.TokensRevoked.WithLabels(TokenKinds.Session).Inc(revoked);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<RecoveryVerifyResponse>, ValidationProblem, ProblemHttpResult>> RecoveryVerifyAsync(
        RecoveryVerifyRequest request, HttpContext context, AccountStore accounts, SecretHasher hasher, AttemptThrottle throttle, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        AccountRules.CheckEmail(request.Email, errors, out var email);
        AccountRules.CheckProof(request.RecoveryAuthKey, "recoveryAuthKey", errors);
        var (user, refusal) = await VerifyRecoveryAsync<Ok<RecoveryVerifyResponse>>(errors, context, email, request.RecoveryAuthKey, "verify", accounts, hasher, throttle, metrics, cancellationToken);
        if (user is null)
        {
            return refusal!;
        }

        return TypedResults.Ok(new RecoveryVerifyResponse(user.UserId, new EncryptedValue(EnvelopeKinds.UserRecoveryKey, user.UserId, user.RecoveryUserKey!)));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> RecoveryResetAsync(
        RecoveryResetRequest request, HttpContext context, AccountRules rules, AccountStore accounts, SecretHasher hasher, AttemptThrottle throttle, TimeProvider clock, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        AccountRules.CheckEmail(request.Email, errors, out var email);
        AccountRules.CheckProof(request.RecoveryAuthKey, "recoveryAuthKey", errors);
        rules.CheckKdf(request.Kdf, errors);
        AccountRules.CheckProof(request.AuthKey, "authKey", errors);
        var (user, refusal) = await VerifyRecoveryAsync<NoContent>(errors, context, email, request.RecoveryAuthKey, "reset", accounts, hasher, throttle, metrics, cancellationToken);
        if (user is null)
        {
            return refusal!;
        }

        AccountRules.CheckWrappedUserKey(request.UserKey, user.UserId, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        // The used recovery code is spent, and the vault waits for a key rotation (issue 13, finding 14).
        await accounts.ReplacePasswordAsync(
            user.UserId, request.Kdf.Algorithm, request.Kdf.Iterations, request.Kdf.Salt, hasher.Hash(request.AuthKey), request.UserKey.Envelope, keepSessionId: null, UnixTime.Now(clock), cancellationToken,
            spendRecovery: true);
        metrics.PasswordChanges.Inc();
        return TypedResults.NoContent();
    }

    /// <summary>The user whose recovery code <paramref name="proof"/> is, once the request's own checks (<paramref name="errors"/>) passed; else the answer to give.</summary>
    private static async Task<(UserRecord? User, Results<TOk, ValidationProblem, ProblemHttpResult>? Refusal)> VerifyRecoveryAsync<TOk>(
        RequestErrors errors, HttpContext context, string email, byte[] proof, string step, AccountStore accounts, SecretHasher hasher, AttemptThrottle throttle, PolydevMetrics metrics, CancellationToken cancellationToken)
        where TOk : IResult
    {
        if (errors.Any)
        {
            return (null, errors.ToProblem());
        }

        var (key, address) = ("recovery:" + email, ClientAddress.Of(context));
        var attempt = throttle.TryAcquire(key, address);
        if (!attempt.IsAllowed)
        {
            metrics.Recoveries.WithLabels(step, "throttled").Inc();
            return (null, TooMany(context, attempt.RetryAfter, "Too many recovery attempts"));
        }

        await throttle.SlowDownAsync(attempt, cancellationToken);

        var user = await accounts.FindByEmailAsync(email, cancellationToken);
        if (user?.RecoveryAuthHash is null)
        {
            hasher.VerifyNothing(proof);
        }

        if (user?.RecoveryAuthHash is null || user.RecoveryUserKey is null || !hasher.Verify(proof, user.RecoveryAuthHash))
        {
            throttle.Failed(key);
            metrics.Recoveries.WithLabels(step, "bad_credentials").Inc();
            return (null, Problems.Unauthorized("The e-mail or recovery code is wrong."));
        }

        throttle.Succeeded(key, address);
        metrics.Recoveries.WithLabels(step, "success").Inc();
        return (user, null);
    }

    private static ProblemHttpResult TooMany(HttpContext context, TimeSpan retryAfter, string what)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.TooManyRequests($"{what} from this address; try again in {seconds} seconds.");
    }
}
