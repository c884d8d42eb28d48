using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Polydev.Contracts;
using Polydev.Server.Accounts;

namespace Polydev.Server.Vault;

/// <summary>
/// What every vault handler is given besides its route values and body (<c>[AsParameters]</c>), and the answers every
/// record type gives alike: a page, created or taken, found or not, updated or stale, deleted or not — each counted
/// under the type's metric label.
/// </summary>
internal readonly record struct VaultRequest(ClaimsPrincipal User, IOptions<VaultOptions> Options, TimeProvider Clock, PolydevMetrics Metrics, CancellationToken Aborted)
{
    public Guid UserId => User.UserId();

    public long Now => UnixTime.Now(Clock);

    /// <summary>A new record of the user with id <paramref name="id"/>, revision 1, made now.</summary>
    public T NewRecord<T>(Guid id)
        where T : VaultRecord, new() =>
        new() { Id = id.ToString("D"), UserId = UserId.ToString("D"), Revision = 1, CreatedAt = Now, UpdatedAt = Now };

    /// <param name="errors">Checks of the caller's own query parameters, if any, already made.</param>
    /// <param name="list">A page, or null when what is listed in (a chat) is not the user's.</param>
    public async Task<Results<Ok<Page<TResponse>>, ValidationProblem, ProblemHttpResult>> ListAsync<TRecord, TResponse>(
        VaultRecordType type, int? limit, string? cursor, RequestErrors errors, Func<PageRequest, Task<(IReadOnlyList<TRecord> Items, string? NextCursor)?>> list, Func<TRecord, TResponse> view)
    {
        if (!PageRequest.TryCreate(limit, cursor, errors, out var page))
        {
            return errors.ToProblem();
        }

        if (await list(page) is not var (items, next))
        {
            return Problems.NotFound(type.ContainerNotFound);
        }

        Metrics.VaultReads.WithLabels(type.Label).Inc(items.Count);
        return TypedResults.Ok(new Page<TResponse>(items.Select(view).ToList(), next));
    }

    /// <param name="errors">Checks of the caller's own fields, if any, already made; the id and envelope are checked here.</param>
    public async Task<Results<Created<TResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync<TRecord, TResponse>(
        VaultRecordType type, EncryptedValue? value, TRecord record, RequestErrors errors, Func<TRecord, CancellationToken, Task<WriteOutcome>> insert, string location, Func<TRecord, TResponse> view)
        where TRecord : VaultRecord
    {
        var id = Guid.Parse(record.Id);
        VaultRules.CheckNewId(id, errors);
        type.CheckEnvelope(value, id, Options.Value, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        switch (await insert(record, Aborted))
        {
            case WriteOutcome.Done:
                Metrics.VaultWrites.WithLabels(type.Label, "create").Inc();
                return TypedResults.Created(location, view(record));
            case WriteOutcome.AlreadyExists:
                return Problems.Conflict($"A record with this id already exists; generate a new UUID for a new {type.Label}.");
            default:
                return Problems.NotFound(type.ContainerNotFound);
        }
    }

    public Results<Ok<TResponse>, ProblemHttpResult> Read<TRecord, TResponse>(VaultRecordType type, TRecord? record, Func<TRecord, TResponse> view)
        where TRecord : VaultRecord
    {
        if (record is null)
        {
            return Problems.NotFound(type.NotFound);
        }

        Metrics.VaultReads.WithLabels(type.Label).Inc();
        return TypedResults.Ok(view(record));
    }

    /// <param name="update">Replaces the envelope given the expected revision and the time; answers as the store's revision-checked update does.</param>
    public async Task<Results<Ok<TResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync<TRecord, TResponse>(
        VaultRecordType type, Guid id, EncryptedValue? value, Func<byte[], long, Task<(WriteOutcome Outcome, TRecord? Record)>> update, Func<TRecord, TResponse> view)
        where TRecord : VaultRecord
    {
        var errors = new RequestErrors();
        type.CheckEnvelope(value, id, Options.Value, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (outcome, record) = await update(value!.Envelope, Now);
        switch (outcome)
        {
            case WriteOutcome.Done:
                Metrics.VaultWrites.WithLabels(type.Label, "update").Inc();
                return TypedResults.Ok(view(record!));
            case WriteOutcome.StaleRevision:
                return VaultRules.Stale(record!.Revision);
            default:
                return Problems.NotFound(type.NotFound);
        }
    }

    public Results<NoContent, ProblemHttpResult> Deleted(VaultRecordType type, bool deleted)
    {
        if (!deleted)
        {
            return Problems.NotFound(type.NotFound);
        }

        Metrics.VaultWrites.WithLabels(type.Label, "delete").Inc();
        return TypedResults.NoContent();
    }
}
