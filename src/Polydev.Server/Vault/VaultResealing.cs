using System.Data.Common;
using Dapper;
using Polydev.Contracts.Accounts;

namespace Polydev.Server.Vault;

/// <summary>
/// A whole vault re-sealed under a new user key (key rotation, issue 13 finding 14). The envelopes are replaced in the
/// caller's transaction, and only if the client re-sealed exactly the records the vault holds at the revisions it
/// holds them: a record added, changed or deleted since the client read it would otherwise stay under the old key,
/// lose the change, or come back.
/// </summary>
internal static class VaultResealing
{
    private sealed record Table(VaultRecordType Type, string List, string Name, string Column, Func<RotateKeysRequest, IReadOnlyList<ResealedRecord>?> Records);

    private static readonly Table[] Tables =
    [
        new(VaultRecordType.Chat, "chats", "chats", "title", r => r.Chats),
        new(VaultRecordType.Message, "messages", "chat_messages", "body", r => r.Messages),
        new(VaultRecordType.Credential, "credentials", "provider_credentials", "secret", r => r.Credentials),
    ];

    /// <summary>Each list is present, its ids unique, and each envelope its table's kind, bound to its record, within size.</summary>
    public static void Check(RotateKeysRequest request, VaultOptions options, RequestErrors errors)
    {
        foreach (var table in Tables)
        {
            if (table.Records(request) is not { } records)
            {
                errors.Add(table.List, $"{table.List} is required: every record of the vault, re-sealed (an empty list if there are none).");
                continue;
            }

            var seen = new HashSet<Guid>();
            for (var i = 0; i < records.Count; i++)
            {
                var field = $"{table.List}[{i}]";
                if (records[i] is not { } record)
                {
                    errors.Add(field, $"{field} is required.");
                    continue;
                }

                if (!seen.Add(record.Id))
                {
                    errors.Add($"{field}.id", $"{field}.id {record.Id} appears twice.");
                }

                if (record.Revision < 1)
                {
                    errors.Add($"{field}.revision", $"{field}.revision must be the revision the record was read at (1 or more).");
                }

                EncryptedValueRules.Check(record.Value, $"{field}.value", table.Type.EnvelopeKind, record.Id, table.Type.MaxBytes(options), errors);
            }
        }
    }

    /// <summary>The number of records in the request (all tables).</summary>
    public static int Count(RotateKeysRequest request) => Tables.Sum(t => t.Records(request)?.Count ?? 0);

    /// <summary>
    /// Replaces every envelope of <paramref name="userId"/>'s vault with the re-sealed one, each revision bumped.
    /// </summary>
    /// <returns>Null when done; else why the request no longer matches the vault (the caller rolls back).</returns>
    public static async Task<string?> ReplaceAsync(DbConnection connection, DbTransaction transaction, Guid userId, RotateKeysRequest request, long now, CancellationToken cancellationToken)
    {
        var user = userId.ToString("D");
        foreach (var table in Tables)
        {
            var records = table.Records(request)!;
            var stored = (await connection.QueryAsync<(string Id, long Revision)>(new CommandDefinition(
                $"SELECT id, revision FROM {table.Name} WHERE user_id = @user", new { user }, transaction, cancellationToken: cancellationToken))).ToDictionary(r => r.Id, r => r.Revision);
            var differing = records.Count(r => !stored.TryGetValue(r.Id.ToString("D"), out var revision) || revision != r.Revision)
                + Math.Max(0, stored.Count - records.Count(r => stored.ContainsKey(r.Id.ToString("D"))));
            if (differing > 0)
            {
                return Stale(differing, table.Type.Label);
            }

            // The revision check again, row by row: on PostgreSQL a write may land between the read above and here.
            var replaced = await connection.ExecuteAsync(new CommandDefinition(
                $"UPDATE {table.Name} SET {table.Column} = @value, revision = revision + 1, updated_at = @now WHERE user_id = @user AND id = @id AND revision = @revision",
                records.Select(r => new { user, id = r.Id.ToString("D"), revision = r.Revision, value = r.Value.Envelope, now }),
                transaction,
                cancellationToken: cancellationToken));
            if (replaced != records.Count)
            {
                return Stale(records.Count - replaced, table.Type.Label);
            }
        }

        return null;
    }

    private static string Stale(int differing, string label) =>
        $"The vault changed while it was being re-encrypted ({differing} {label} record{(differing == 1 ? "" : "s")} added, changed or deleted meanwhile); nothing was changed. Read the vault again and rotate again.";
}
