using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Microsoft.Extensions.Options;
using Polydev.Server.Vault;

namespace Polydev.Server.Accounts;

/// <summary>The signed-in user's own account: keys, password change, recovery code, deletion.</summary>
public static partial class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Account").WithRequestBodyLimit(AuthEndpoints.AccountsRequestLimit);
        group.MapGet(ApiRoutes.Account, GetAsync).RequireAuthorization().WithSummary("The account and its wrapped keys, for unlocking.");
        group.MapPut(ApiRoutes.AccountPassword, ChangePasswordAsync).RequireAuthorization(PolydevClaims.InteractivePolicy)
            .WithSummary("Re-wrap userKey under a new password; other sessions are revoked.");
        group.MapPut(ApiRoutes.AccountKeys, RotateKeysAsync).RequireAuthorization(PolydevClaims.InteractivePolicy)
            .WithRequestBodyLimit(app.ServiceProvider.GetRequiredService<IOptions<AccountsOptions>>().Value.MaxKeyRotationBytes)
            .WithSummary("Rotate the keys: a new userKey, key pair and recovery code, the whole vault re-sealed under the new userKey, and optionally a new password, in one step; other sessions are revoked.");
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

    private static Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ChangePasswordAsync(
        ChangePasswordRequest request, ClaimsPrincipal principal, AccountRules rules, AccountStore accounts, SecretHasher hasher, TimeProvider clock, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var userId = principal.UserId();
        var errors = new RequestErrors();
        AccountRules.CheckProof(request.CurrentAuthKey, "currentAuthKey", errors);
        rules.CheckKdf(request.Kdf, errors);
        AccountRules.CheckProof(request.AuthKey, "authKey", errors);
        AccountRules.CheckWrappedUserKey(request.UserKey, userId, errors);
        return WithPasswordAsync(userId, request.CurrentAuthKey, errors, accounts, hasher, async user =>
        {
            await accounts.ReplacePasswordAsync(userId, request.Kdf.Algorithm, request.Kdf.Iterations, request.Kdf.Salt, hasher.Hash(request.AuthKey), request.UserKey.Envelope, principal.SessionId(), UnixTime.Now(clock), cancellationToken);
            metrics.PasswordChanges.Inc();
        }, cancellationToken);
    }

    private static async Task<Results<Ok<AccountKeysResponse>, ValidationProblem, ProblemHttpResult>> RotateKeysAsync(
        RotateKeysRequest request, ClaimsPrincipal principal, AccountRules rules, AccountStore accounts, SecretHasher hasher, IOptions<VaultOptions> vaultOptions,
        TimeProvider clock, PolydevMetrics metrics, ILogger<AccountStore> logger, CancellationToken cancellationToken)
    {
        var userId = principal.UserId();
        var errors = new RequestErrors();
        AccountRules.CheckProof(request.CurrentAuthKey, "currentAuthKey", errors);
        AccountRules.CheckWrappedUserKey(request.UserKey, userId, errors);
        AccountRules.CheckKeyPair(request.PublicKey, request.PrivateKey, userId, errors);
        AccountRules.CheckRecovery(request.Recovery, userId, errors);
        if (request.NewPassword is { } password)
        {
            rules.CheckKdf(password.Kdf, errors, "newPassword.kdf");
            AccountRules.CheckProof(password.AuthKey, "newPassword.authKey", errors);
        }

        VaultResealing.Check(request, vaultOptions.Value, errors);
        return await WithPasswordAsync<Ok<AccountKeysResponse>>(userId, request.CurrentAuthKey, errors, accounts, hasher, async user =>
        {
            var reason = user.KeyRotationRequired ? "recovery" : request.NewPassword is null ? "requested" : "password";
            var keys = new RotatedKeys(
                request.UserKey.Envelope,
                request.PublicKey,
                request.PrivateKey.Envelope,
                request.Recovery is { } recovery ? hasher.Hash(recovery.AuthKey) : null,
                request.Recovery?.UserKey.Envelope,
                request.NewPassword is { } next ? new RotatedPassword(next.Kdf.Algorithm, next.Kdf.Iterations, next.Kdf.Salt, hasher.Hash(next.AuthKey)) : null);
            if (await accounts.RotateKeysAsync(userId, keys, request, principal.SessionId(), UnixTime.Now(clock), cancellationToken) is { } stale)
            {
                metrics.KeyRotations.WithLabels(reason, "stale").Inc();
                return Problems.Conflict(stale);
            }

            var records = VaultResealing.Count(request);
            metrics.KeyRotations.WithLabels(reason, "rotated").Inc();
            metrics.KeyRotationRecords.Inc(records);
            if (request.NewPassword is not null)
            {
                metrics.PasswordChanges.Inc();
            }

            LogRotated(logger, reason, records);
            var rotated = await accounts.FindAsync(userId, cancellationToken);
            return rotated is null ? Problems.NotFound("The account no longer exists.") : TypedResults.Ok(AccountViews.ToKeys(rotated));
        }, cancellationToken);
    }

    [LoggerMessage(EventName = "keys_rotated", Level = LogLevel.Information, Message = "Rotated an account's keys ({Reason}): {Records} vault records re-sealed, other sessions revoked")]
    private static partial void LogRotated(ILogger logger, string reason, int records);

    private static Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SetRecoveryAsync(
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
        return WithPasswordAsync(userId, request.CurrentAuthKey, errors, accounts, hasher, user =>
            accounts.SetRecoveryAsync(userId, hasher.Hash(request.Recovery!.AuthKey), request.Recovery.UserKey.Envelope, UnixTime.Now(clock), cancellationToken), cancellationToken);
    }

    private static Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteAsync(
        DeleteAccountRequest request, ClaimsPrincipal principal, AccountStore accounts, SecretHasher hasher, AccountDeletion deletion, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        AccountRules.CheckProof(request.AuthKey, "authKey", errors);
        return WithPasswordAsync(principal.UserId(), request.AuthKey, errors, accounts, hasher, async user =>
        {
            await deletion.DeleteAsync(user.UserId, cancellationToken);
            metrics.AccountsDeleted.Inc();
        }, cancellationToken);
    }

    /// <summary>
    /// Changing what protects the account needs the password again, not just a token: <paramref name="change"/> runs
    /// only when the request's own checks (<paramref name="errors"/>) passed and <paramref name="authKey"/> is right.
    /// </summary>
    private static async Task<Results<TOk, ValidationProblem, ProblemHttpResult>> WithPasswordAsync<TOk>(
        Guid userId, byte[] authKey, RequestErrors errors, AccountStore accounts, SecretHasher hasher, Func<UserRecord, Task<Results<TOk, ValidationProblem, ProblemHttpResult>>> change, CancellationToken cancellationToken)
        where TOk : IResult
    {
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var user = await accounts.FindAsync(userId, cancellationToken);
        if (user is null)
        {
            return Problems.NotFound("The account no longer exists.");
        }

        if (!hasher.Verify(authKey, user.AuthKeyHash))
        {
            return Problems.Forbidden("The current password is wrong.");
        }

        return await change(user);
    }

    /// <summary>The same, for a change that answers 204.</summary>
    private static Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> WithPasswordAsync(
        Guid userId, byte[] authKey, RequestErrors errors, AccountStore accounts, SecretHasher hasher, Func<UserRecord, Task> change, CancellationToken cancellationToken) =>
        WithPasswordAsync<NoContent>(userId, authKey, errors, accounts, hasher, async user =>
        {
            await change(user);
            return TypedResults.NoContent();
        }, cancellationToken);
}
