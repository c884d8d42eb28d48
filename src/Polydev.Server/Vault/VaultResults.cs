using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Polydev.Server.Http;
using Polydev.Server.Observability;

namespace Polydev.Server.Vault;

/// <summary>
/// The answers every vault record type gives alike (found or not, updated or stale, deleted or
/// not), each counted under the record type's metric label.
/// </summary>
internal static class VaultResults
{
    public static Results<Ok<TResponse>, ProblemHttpResult> Read<TRecord, TResponse>(
        TRecord? record, Func<TRecord, TResponse> view, string label, string notFound, PolydevMetrics metrics)
        where TRecord : class
    {
        if (record is null)
        {
            return Problems.NotFound(notFound);
        }

        metrics.VaultReads.WithLabels(label).Inc();
        return TypedResults.Ok(view(record));
    }

    public static Results<Created<TResponse>, ValidationProblem, ProblemHttpResult> Created<TResponse>(
        WriteOutcome outcome, string location, TResponse response, string label, string notFound, PolydevMetrics metrics)
    {
        switch (outcome)
        {
            case WriteOutcome.Done:
                metrics.VaultWrites.WithLabels(label, "create").Inc();
                return TypedResults.Created(location, response);
            case WriteOutcome.AlreadyExists:
                return Problems.Conflict($"A record with this id already exists; generate a new UUID for a new {label}.");
            default:
                return Problems.NotFound(notFound);
        }
    }

    public static Results<Ok<TResponse>, ValidationProblem, ProblemHttpResult> Updated<TRecord, TResponse>(
        WriteOutcome outcome, TRecord? record, Func<TRecord, TResponse> view, Func<TRecord, long> revision, string label, string notFound, PolydevMetrics metrics)
        where TRecord : class
    {
        switch (outcome)
        {
            case WriteOutcome.Done:
                metrics.VaultWrites.WithLabels(label, "update").Inc();
                return TypedResults.Ok(view(record!));
            case WriteOutcome.StaleRevision:
                return VaultRules.Stale(revision(record!));
            default:
                return Problems.NotFound(notFound);
        }
    }

    public static Results<NoContent, ProblemHttpResult> Deleted(bool deleted, string label, string notFound, PolydevMetrics metrics)
    {
        if (!deleted)
        {
            return Problems.NotFound(notFound);
        }

        metrics.VaultWrites.WithLabels(label, "delete").Inc();
        return TypedResults.NoContent();
    }
}
