using Microsoft.AspNetCore.Http.HttpResults;

namespace Polydev.Server.Vault;

/// <summary>Checks shared by every vault record type.</summary>
public static class VaultRules
{
    public static void CheckNewId(Guid id, RequestErrors errors)
    {
        if (id == Guid.Empty)
        {
            errors.Add("id", "id must be a non-empty UUID made by the client (it is bound into the envelope's associated data).");
        }
    }

    /// <summary>Optimistic concurrency: a write based on an old read must not silently overwrite a newer one.</summary>
    public static ProblemHttpResult Stale(long storedRevision) =>
        Problems.Conflict($"The record changed since you read it (it is now at revision {storedRevision}); read it again and retry.");
}
