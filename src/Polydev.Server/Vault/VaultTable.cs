using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;

namespace Polydev.Server.Vault;

/// <summary>
/// A user's vault record by id (a message also by its chat). Every statement is scoped by it, so another user's
/// record is indistinguishable from a missing one.
/// </summary>
public readonly record struct RecordKey(Guid UserId, Guid Id, Guid? ChatId = null)
{
    public const string ByIdWhere = "id = @id AND user_id = @userId";
    public const string InChatWhere = "id = @id AND chat_id = @chatId AND user_id = @userId";

    public string Where => ChatId is null ? ByIdWhere : InChatWhere;

    /// <summary>The key's values under the names <see cref="Where"/> uses.</summary>
    public object Parameters() => ChatId is { } chatId
        ? new { id = Id.ToString("D"), userId = UserId.ToString("D"), chatId = chatId.ToString("D") }
        : new { id = Id.ToString("D"), userId = UserId.ToString("D") };
}

/// <summary>
/// The statements every vault table answers alike: insert with a client-chosen id, read one, replace the envelope at
/// an expected revision, delete one, and keyset pages over (created_at, id). Each statement's text is made once, not
/// per request (issue 19).
/// </summary>
/// <param name="select">The columns to read, qualified expressions allowed (e.g. a count from a child table).</param>
/// <param name="envelope">The column that holds the record's envelope.</param>
internal sealed class VaultTable<TRecord>(Database database, string table, string select, string envelope)
    where TRecord : VaultRecord
{
    private readonly KeyedStatement _find = new($"SELECT {select} FROM {table} WHERE ");
    private readonly KeyedStatement _exists = new($"SELECT 1 FROM {table} WHERE ");
    private readonly KeyedStatement _update = new($"UPDATE {table} SET {envelope} = @value, revision = revision + 1, updated_at = @now WHERE ", " AND revision = @expectedRevision");
    private readonly KeyedStatement _delete = new($"DELETE FROM {table} WHERE ");
    private readonly ConcurrentDictionary<(string? Filter, bool NewestFirst, bool After), string> _pages = new();

    public Task<WriteOutcome> InsertAsync(string insert, TRecord record, CancellationToken cancellationToken) =>
        WriteOutcomes.InsertAsync(database, new CommandDefinition(insert, record, cancellationToken: cancellationToken));

    public async Task<TRecord?> GetAsync(RecordKey key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindAsync(connection, key, cancellationToken);
    }

    /// <summary>
    /// Whether the user has the record, reading nothing else: cheaper than <see cref="FindAsync"/> where the select has
    /// costly expressions (a chat's message count).
    /// </summary>
    public async Task<bool> ExistsAsync(DbConnection connection, RecordKey key, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition(_exists.For(key), key.Parameters(), cancellationToken: cancellationToken)) is not null;

    public Task<TRecord?> FindAsync(DbConnection connection, RecordKey key, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<TRecord>(new CommandDefinition(_find.For(key), key.Parameters(), cancellationToken: cancellationToken));

    public Task<(WriteOutcome Outcome, TRecord? Record)> UpdateAsync(RecordKey key, byte[] value, long expectedRevision, long now, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(key.Parameters());
        parameters.AddDynamicParams(new { value, expectedRevision, now });
        return WriteOutcomes.UpdateAsync(
            database,
            new CommandDefinition(_update.For(key), parameters, cancellationToken: cancellationToken),
            connection => FindAsync(connection, key, cancellationToken));
    }

    public Task<bool> DeleteAsync(RecordKey key, CancellationToken cancellationToken) =>
        WriteOutcomes.DeleteAsync(database, new CommandDefinition(_delete.For(key), key.Parameters(), cancellationToken: cancellationToken));

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
        var statement = _pages.GetOrAdd((filter, newestFirst, page.After is not null), PageStatement);
        var rows = (await connection.QueryAsync<TRecord>(new CommandDefinition(statement, all, cancellationToken: cancellationToken))).AsList();

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

    /// <summary>
    /// A first page has no position to start after: its statement says nothing of one, rather than a condition on
    /// NULL parameters that the engine would check on every row (and PostgreSQL could not plan around).
    /// </summary>
    private string PageStatement((string? Filter, bool NewestFirst, bool After) shape)
    {
        var (beyond, order) = shape.NewestFirst ? ("<", "DESC") : (">", "ASC");
        return $"""
            SELECT {select} FROM {table}
            WHERE user_id = @userId {(shape.Filter is null ? "" : $"AND {shape.Filter}")}
            {(shape.After ? $"AND (created_at {beyond} @afterCreatedAt OR (created_at = @afterCreatedAt AND id {beyond} @afterId))" : "")}
            ORDER BY created_at {order}, id {order} LIMIT @take
            """;
    }

    /// <summary>A statement that ends with a record key's condition, made once for each of the key's two shapes.</summary>
    private sealed class KeyedStatement(string start, string end = "")
    {
        private readonly string _byId = start + RecordKey.ByIdWhere + end;
        private readonly string _inChat = start + RecordKey.InChatWhere + end;

        public string For(RecordKey key) => key.ChatId is null ? _byId : _inChat;
    }
}
