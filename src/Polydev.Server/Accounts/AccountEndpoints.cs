using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Server.Http;
using Polydev.Server.Observability;
using Polydev.Server.Storage;

namespace Polydev.Server.Accounts;

/// <summary>The signed-in user's own account: keys, password change, recovery code, deletion.</summary>
public static class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Account").WithRequestBodyLimit(AuthEndpoints.AccountsRequestLimit);
        group.MapGet(ApiRoutes.Account, GetAsync).RequireAuthorization().WithSummary("The account and its wrapped keys, for unlocking.");
        group.MapPut(ApiRoutes.AccountPassword, ChangePasswordAsync).RequireAuthorization(PolydevClaims.InteractivePolicy)
            .WithSummary("Re-wrap userKey under a new password; other sessions are revoked.");
        group.MapPut(ApiRoutes.AccountRecovery, SetRecoveryAsync).RequireAuthorization(PolydevClaims.InteractivePolicy)
            .WithSummary("Set or replace the recovery code.");
        group.MapPost(ApiRoutes.AccountDelete, DeleteAsync).RequireAuthorization(PolydevClaims.InteractivePolicy)
            .WithSummary("Delete the account and every row that belongs to it.");
    }

    private static async Task<Results<Ok<AccountKeysResponse>, ProblemHttpResult>> GetAsync(ClaimsPrincipal principal, AccountStore accounts, CancellationToken cancellationToken)
    {
        var user = await accounts.FindAsync(principal.UserId(), cancellationToken);
        return user is null ? Problems.NotFound("The account no longer exists.") : TypedResults.Ok(AccountViews.ToKeys(user));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ChangePasswordAsync(
        ChangePasswordRequest request, ClaimsPrincipal principal, AccountRules rules, AccountStore accounts, SecretHasher hasher, TimeProvider clock, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var userId = principal.UserId();
        var errors = new RequestErrors();
        AccountRules.CheckProof(request.CurrentAuthKey, "currentAuthKey", errors);
        rules.CheckKdf(request.Kdf, errors);
        AccountRules.CheckProof(request.AuthKey, "authKey", errors);
        AccountRules.CheckWrappedUserKey(request.UserKey, userId, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (user, refusal) = await VerifyPasswordAsync(userId, request.CurrentAuthKey, accounts, hasher, cancellationToken);
        if (user is null)
        {
            return refusal!;
        }

        await accounts.ReplacePasswordAsync(userId, request.Kdf.Algorithm, request.Kdf.Iterations, request.Kdf.Salt, hasher.Hash(request.AuthKey), request.UserKey.Envelope, principal.SessionId(), UnixTime.Now(clock), cancellationToken);
        metrics.PasswordChanges.Inc();
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SetRecoveryAsync(
        SetRecoveryRequest request, ClaimsPrincipal principal, AccountStore accounts, SecretHasher hasher, TimeProvider clock, CancellationToken cancellationToken)
    {
        var userId = principal.UserId();
        var errors = new RequestErrors();
        AccountRules.CheckProof(request.CurrentAuthKey, "currentAuthKey", errors);
        if (request.Recovery is null)
        {
            errors.Add("recovery", "recovery is required.");
        }

        AccountRules.CheckRecovery(request.Recovery, userId, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (user, refusal) = await VerifyPasswordAsync(userId, request.CurrentAuthKey, accounts, hasher, cancellationToken);
        if (user is null)
        {
            return refusal!;
        }

        await accounts.SetRecoveryAsync(userId, hasher.Hash(request.Recovery!.AuthKey), request.Recovery.UserKey.Envelope, UnixTime.Now(clock), cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteAsync(
        DeleteAccountRequest request, ClaimsPrincipal principal, AccountStore accounts, SecretHasher hasher, AccountDeletion deletion, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        AccountRules.CheckProof(request.AuthKey, "authKey", errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (user, refusal) = await VerifyPasswordAsync(principal.UserId(), request.AuthKey, accounts, hasher, cancellationToken);
        if (user is null)
        {
            return refusal!;
        }

        await deletion.DeleteAsync(user.UserId, cancellationToken);

        metrics.AccountsDeleted.Inc();
        return TypedResults.NoContent();
    }

    /// <summary>Changing what protects the account needs the password again, not just a token.</summary>
    private static async Task<(UserRecord? User, ProblemHttpResult? Refusal)> VerifyPasswordAsync(
        Guid userId, byte[] authKey, AccountStore accounts, SecretHasher hasher, CancellationToken cancellationToken)
    {
        var user = await accounts.FindAsync(userId, cancellationToken);
        if (user is null)
        {
            return (null, Problems.NotFound("The account no longer exists."));
        }

        return hasher.Verify(authKey, user.AuthKeyHash)
            ? (user, null)
            : (null, Problems.Forbidden("The current password is wrong."));
    }
}
