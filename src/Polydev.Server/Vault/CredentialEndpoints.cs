using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Polydev.Contracts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;
using Polydev.Server.Accounts;
using Polydev.Server.Http;
using Polydev.Server.Observability;
using Polydev.Server.Storage;

namespace Polydev.Server.Vault;

/// <summary>
/// Provider credentials (API keys, CLI credential files), one or more per provider. The
/// provider name is plain so executions can pick the right one; the secret is an envelope.
/// </summary>
public static class CredentialEndpoints
{
    private const string NoCredential = "No credential with this id in your vault.";

    public static void MapCredentialEndpoints(this IEndpointRouteBuilder app, VaultOptions options)
    {
        var group = app.MapGroup(ApiRoutes.Credentials).WithTags("Vault: provider credentials").RequireAuthorization().WithRequestBodyLimit(options.MaxRequestBodyBytes);
        group.MapGet("", ListAsync).WithSummary("Your provider credentials, optionally of one provider.");
        group.MapPost("", CreateAsync).WithSummary("Store a credential; the client chooses its id.");
        group.MapGet("{id:guid}", GetAsync);
        group.MapPut("{id:guid}", UpdateAsync).WithSummary("Replace the secret; revision must match the stored one.");
        group.MapDelete("{id:guid}", DeleteAsync);
    }

    private static async Task<Results<Ok<Page<CredentialResponse>>, ValidationProblem>> ListAsync(
        string? provider, int? limit, string? cursor, ClaimsPrincipal user, CredentialStore store, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        if (provider is not null)
        {
            CheckProvider(provider, errors);
        }

        if (!PageRequest.TryCreate(limit, cursor, errors, out var page))
        {
            return errors.ToProblem();
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (items, next) = await store.ListAsync(user.UserId(), provider, page, cancellationToken);
        metrics.VaultReads.WithLabels("credential").Inc(items.Count);
        return TypedResults.Ok(new Page<CredentialResponse>(items.Select(VaultViews.ToResponse).ToList(), next));
    }

    private static async Task<Results<Created<CredentialResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateCredentialRequest request, ClaimsPrincipal user, CredentialStore store, IOptions<VaultOptions> options, TimeProvider clock, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        VaultRules.CheckNewId(request.Id, errors);
        CheckProvider(request.Provider, errors);
        EncryptedValueRules.Check(request.Secret, "secret", EnvelopeKinds.CredentialSecret, request.Id, options.Value.MaxCredentialBytes, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var now = UnixTime.Now(clock);
        var credential = new CredentialRecord
        {
            Id = request.Id.ToString("D"),
            UserId = user.UserId().ToString("D"),
            Provider = request.Provider,
            Secret = request.Secret.Envelope,
            Revision = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
        return VaultResults.Created(await store.CreateAsync(credential, cancellationToken), ApiRoutes.Credential(request.Id), VaultViews.ToResponse(credential), "credential", NoCredential, metrics);
    }

    private static async Task<Results<Ok<CredentialResponse>, ProblemHttpResult>> GetAsync(Guid id, ClaimsPrincipal user, CredentialStore store, PolydevMetrics metrics, CancellationToken cancellationToken) =>
        VaultResults.Read(await store.GetAsync(user.UserId(), id, cancellationToken), VaultViews.ToResponse, "credential", NoCredential, metrics);

    private static async Task<Results<Ok<CredentialResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        Guid id, UpdateCredentialRequest request, ClaimsPrincipal user, CredentialStore store, IOptions<VaultOptions> options, TimeProvider clock, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        EncryptedValueRules.Check(request.Secret, "secret", EnvelopeKinds.CredentialSecret, id, options.Value.MaxCredentialBytes, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (outcome, credential) = await store.UpdateAsync(user.UserId(), id, request.Secret.Envelope, request.Revision, UnixTime.Now(clock), cancellationToken);
        return VaultResults.Updated(outcome, credential, VaultViews.ToResponse, c => c.Revision, "credential", NoCredential, metrics);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, ClaimsPrincipal user, CredentialStore store, PolydevMetrics metrics, CancellationToken cancellationToken) =>
        VaultResults.Deleted(await store.DeleteAsync(user.UserId(), id, cancellationToken), "credential", NoCredential, metrics);

    private static void CheckProvider(string? provider, RequestErrors errors)
    {
        if (!Providers.IsKnown(provider))
        {
            errors.Add("provider", $"provider must be one of: {string.Join(", ", Providers.All)}.");
        }
    }
}
