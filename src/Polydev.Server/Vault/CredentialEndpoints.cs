using Microsoft.AspNetCore.Http.HttpResults;
using Polydev.Contracts;
using Polydev.Contracts.Vault;

namespace Polydev.Server.Vault;

/// <summary>
/// Provider credentials (API keys, CLI credential files), one or more per provider. The
/// provider name is plain so executions can pick the right one; the secret is an envelope.
/// </summary>
public static class CredentialEndpoints
{
    private static readonly VaultRecordType Credential = VaultRecordType.Credential;

    public static void MapCredentialEndpoints(this IEndpointRouteBuilder app, VaultOptions options)
    {
        var group = app.MapGroup(ApiRoutes.Credentials).WithTags("Vault: provider credentials").RequireAuthorization().WithRequestBodyLimit(options.MaxRequestBodyBytes)
            .AddEndpointFilter<VaultWriteGate>();
        group.MapGet("", ListAsync).WithSummary("Your provider credentials, optionally of one provider.");
        group.MapPost("", CreateAsync).WithSummary("Store a credential; the client chooses its id.");
        group.MapGet("{id:guid}", GetAsync);
        group.MapPut("{id:guid}", UpdateAsync).WithSummary("Replace the secret; revision must match the stored one.");
        group.MapDelete("{id:guid}", DeleteAsync);
    }

    private static Task<Results<Ok<Page<CredentialResponse>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        string? provider, int? limit, string? cursor, CredentialStore store, [AsParameters] VaultRequest vault)
    {
        var errors = new RequestErrors();
        if (provider is not null)
        {
            CheckProvider(provider, errors);
        }

        return vault.ListAsync<CredentialRecord, CredentialResponse>(Credential, limit, cursor, errors, async page => await store.ListAsync(vault.UserId, provider, page, vault.Aborted), VaultViews.ToResponse);
    }

    private static Task<Results<Created<CredentialResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateCredentialRequest request, CredentialStore store, [AsParameters] VaultRequest vault)
    {
        var errors = new RequestErrors();
        CheckProvider(request.Provider, errors);
        var credential = vault.NewRecord<CredentialRecord>(request.Id);
        credential.Provider = request.Provider;
        credential.Secret = request.Secret?.Envelope ?? [];
        return vault.CreateAsync(Credential, request.Secret, credential, errors, store.CreateAsync, ApiRoutes.Credential(request.Id), VaultViews.ToResponse);
    }

    private static async Task<Results<Ok<CredentialResponse>, ProblemHttpResult>> GetAsync(Guid id, CredentialStore store, [AsParameters] VaultRequest vault) =>
        vault.Read(Credential, await store.GetAsync(vault.UserId, id, vault.Aborted), VaultViews.ToResponse);

    private static Task<Results<Ok<CredentialResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        Guid id, UpdateCredentialRequest request, CredentialStore store, [AsParameters] VaultRequest vault) =>
        vault.UpdateAsync(Credential, id, request.Secret, (secret, now) => store.UpdateAsync(vault.UserId, id, secret, request.Revision, now, vault.Aborted), VaultViews.ToResponse);

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, CredentialStore store, [AsParameters] VaultRequest vault) =>
        vault.Deleted(Credential, await store.DeleteAsync(vault.UserId, id, vault.Aborted));

    private static void CheckProvider(string? provider, RequestErrors errors)
    {
        if (!Providers.IsKnown(provider))
        {
            errors.Add("provider", $"provider must be one of: {string.Join(", ", Providers.All)}.");
        }
    }
}
