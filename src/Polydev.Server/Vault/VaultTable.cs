using System.Data.Common;
using Dapper;

namespace Polydev.Server.Vault;

/// <summary>
/// A user's vault record by id (a message also by its chat). Every statement is scoped by it, so another user's
/// record is indistinguishable from a missing one.
/// </summary>
public readonly record struct RecordKey(Guid UserId, Guid Id, Guid? ChatId = null)
{
    public string Where => ChatId is null ? "id = @id AND user_id = @userId" : "id = @id AND chat_id = @chatId AND user_id = @userId";

    public DynamicParameters Parameters()
    {
        var parameters = new DynamicParameters(new { id = Id.ToString("D"), userId = UserId.ToString("D") });
        if (ChatId is { } chatId)
        {
            parameters.Add("chatId", chatId.ToString("D"));
        }

        return parameters;
    }
}

/// <summary>
/// The statements every vault table answers alike: insert with a client-chosen id, read one, replace the envelope at
/// an expected revision, delete one, and keyset pages over (created_at, id).
/// </summary>
/// <param name="select">The columns to read, qualified expressions allowed (e.g. a count from a child table).</param>
/// <param name="envelope">The column that holds the record's envelope.</param>
internal sealed class VaultTable<TRecord>(Database database, string table, string select, string envelope)
    where TRecord : VaultRecord
{
    public Task<WriteOutcome> InsertAsync(string insert, TRecord record, CancellationToken cancellationToken) =>
        WriteOutcomes.InsertAsync(database, new CommandDefinition(insert, record, cancellationToken: cancellationToken));

    public async Task<TRecord?> GetAsync(RecordKey key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindAsync(connection, key, cancellationToken);
    }

    public Task<TRecord?> FindAsync(DbConnection connection, RecordKey key, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<TRecord>(new CommandDefinition(
            $"SELECT {select} FROM {table} WHERE {key.Where}", key.Parameters(), cancellationToken: cancellationToken));

    public Task<(WriteOutcome Outcome, TRecord? Record)> UpdateAsync(RecordKey key, byte[] value, long expectedRevision, long now, CancellationToken cancellationToken)
    {
        var parameters = key.Parameters();
        parameters.AddDynamicParams(new { value, expectedRevision, now });
        return WriteOutcomes.UpdateAsync(
            database,
            new CommandDefinition(
                $"UPDATE {table} SET {envelope} = @value, revision = revision + 1, updated_at = @now WHERE {key.Where} AND revision = @expectedRevision",
                parameters,
                cancellationToken: cancellationToken),
            connection => FindAsync(connection, key, cancellationToken));
    }

    public Task<bool> DeleteAsync(RecordKey key, CancellationToken cancellationToken) =>
        WriteOutcomes.DeleteAsync(database, new CommandDefinition($"DELETE FROM {table} WHERE {key.Where}", key.Parameters(), cancellationToken: cancellationToken));

    /// <summary>A page of the user's rows, those matching <paramref name="filter"/> (its parameters in <paramref name="parameters"/>) if set, oldest or newest first.</summary>
    public async Task<(IReadOnlyList<TRecord> Items, string? NextCursor)> PageAsync(
        DbConnection connection, string? filter, object? parameters, Guid userId, PageRequest page, bool newestFirst, CancellationToken cancellationToken)
    {
        var all = new DynamicParameters(new
        {
            userId = userId.ToString("D"),
            afterCreatedAt = page.After?.CreatedAt,
            afterId = page.After?.Id.ToString("D"),
            take = page.Limit + 1,
        });
        all.AddDynamicParams(parameters);
        var (beyond, order) = newestFirst ? ("<", "DESC") : (">", "ASC");
        var rows = (await connection.QueryAsync<TRecord>(new CommandDefinition(
            $"""
            SELECT {select} FROM {table}
            WHERE user_id = @userId {(filter is null ? "" : $"AND {filter}")}
              AND (@afterCreatedAt IS NULL OR created_at {beyond} @afterCreatedAt OR (created_at = @afterCreatedAt AND id {beyond} @afterId))
            ORDER BY created_at {order}, id {order} LIMIT @take
            """,
            all,
            cancellationToken: cancellationToken))).AsList();

        // One row more than asked says whether another page exists, without a count.
        if (rows.Count <= page.Limit)
        {
            return (rows, null);
        }

        rows.RemoveAt(rows.Count - 1);
        return (rows, new Cursor(rows[^1].CreatedAt, Guid.Parse(rows[^1].Id)).ToString());
    }

    public async Task<(IReadOnlyList<TRecord> Items, string? NextCursor)> PageAsync(
        string? filter, object? parameters, Guid userId, PageRequest page, bool newestFirst, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await PageAsync(connection, filter, parameters, userId, page, newestFirst, cancellationToken);
    }
}
