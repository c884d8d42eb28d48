using System.Data.Common;
using Dapper;
using Polydev.Server.Http;
using Polydev.Server.Storage;

namespace Polydev.Server.Vault;

/// <summary>
/// Reads and writes <c>chats</c> and <c>chat_messages</c>. Every statement is scoped by
/// <c>user_id</c>, so another user's record is indistinguishable from a missing one.
/// </summary>
public sealed class ChatStore(Database database) : IUserDataOwner
{
    // Appends do not write the chat row (see CreateMessageAsync); activity is read from the messages' index instead.
    private const string ChatColumns = "id, user_id, title, revision, created_at, updated_at, "
        + "(SELECT COUNT(*) FROM chat_messages m WHERE m.chat_id = chats.id) AS message_count, "
        + "(SELECT MAX(created_at) FROM chat_messages m WHERE m.chat_id = chats.id) AS last_message_at";
    private const string MessageColumns = "id, chat_id, user_id, body, revision, created_at, updated_at";

    public IReadOnlyList<string> Tables { get; } = ["chat_messages", "chats"];

    public Task ForgetUserAsync(DbConnection connection, DbTransaction transaction, Guid userId, CancellationToken cancellationToken) =>
        UserData.DeleteByUserAsync(connection, transaction, userId, Tables, cancellationToken);

    public async Task<WriteOutcome> CreateChatAsync(ChatRecord chat, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO chats (id, user_id, title, revision, created_at, updated_at) VALUES (@Id, @UserId, @Title, @Revision, @CreatedAt, @UpdatedAt)",
                chat,
                cancellationToken: cancellationToken));
            return WriteOutcome.Done;
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            return WriteOutcome.AlreadyExists;
        }
    }

    public async Task<(IReadOnlyList<ChatRecord> Items, string? NextCursor)> ListChatsAsync(Guid userId, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var parameters = new DynamicParameters(KeysetPage.Parameters(page));
        parameters.Add("userId", userId.ToString("D"));
        var rows = await connection.QueryAsync<ChatRecord>(new CommandDefinition(
            $"SELECT {ChatColumns} FROM chats WHERE user_id = @userId AND {KeysetPage.Before} ORDER BY created_at DESC, id DESC LIMIT @take",
            parameters,
            cancellationToken: cancellationToken));
        return KeysetPage.Trim(rows.AsList(), page, c => (c.CreatedAt, c.Id));
    }

    public async Task<ChatRecord?> GetChatAsync(Guid userId, Guid chatId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindChatAsync(connection, userId, chatId, cancellationToken);
    }

    public async Task<(WriteOutcome Outcome, ChatRecord? Chat)> UpdateChatAsync(Guid userId, Guid chatId, byte[] title, long expectedRevision, long now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE chats SET title = @title, revision = revision + 1, updated_at = @now WHERE id = @id AND user_id = @userId AND revision = @expectedRevision",
            new { title, now, id = chatId.ToString("D"), userId = userId.ToString("D"), expectedRevision },
            cancellationToken: cancellationToken));
        var chat = await FindChatAsync(connection, userId, chatId, cancellationToken);
        return WriteOutcomes.AfterUpdate(changed, chat);
    }

    /// <summary>Deletes the chat and its messages together.</summary>
    public async Task<bool> DeleteChatAsync(Guid userId, Guid chatId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ids = new { id = chatId.ToString("D"), userId = userId.ToString("D") };
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM chat_messages WHERE chat_id = @id AND user_id = @userId", ids, transaction, cancellationToken: cancellationToken));
        var deleted = await connection.ExecuteAsync(new CommandDefinition("DELETE FROM chats WHERE id = @id AND user_id = @userId", ids, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return deleted == 1;
    }

    /// <summary>
    /// Appends a message if the chat is the user's, in one statement: no transaction and no
    /// write to the chat row, so concurrent appends to one chat do not queue on its lock.
    /// </summary>
    public async Task<WriteOutcome> CreateMessageAsync(MessageRecord message, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            var inserted = await connection.ExecuteAsync(new CommandDefinition(
                $"""
                INSERT INTO chat_messages ({MessageColumns})
                SELECT @Id, @ChatId, @UserId, @Body, @Revision, @CreatedAt, @UpdatedAt
                WHERE EXISTS (SELECT 1 FROM chats WHERE id = @ChatId AND user_id = @UserId)
                """,
                message,
                cancellationToken: cancellationToken));
            return inserted == 1 ? WriteOutcome.Done : WriteOutcome.NotFound;
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            return WriteOutcome.AlreadyExists;
        }
        catch (Exception e) when (Database.IsForeignKeyViolation(e))
        {
            // The chat was deleted between the check and the insert.
            return WriteOutcome.NotFound;
        }
    }

    /// <summary>A page of the chat's messages, oldest first; null when the chat is not the user's.</summary>
    public async Task<(IReadOnlyList<MessageRecord> Items, string? NextCursor)?> ListMessagesAsync(Guid userId, Guid chatId, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (await FindChatAsync(connection, userId, chatId, cancellationToken) is null)
        {
            return null;
        }

        var parameters = new DynamicParameters(KeysetPage.Parameters(page));
        parameters.Add("userId", userId.ToString("D"));
        parameters.Add("chatId", chatId.ToString("D"));
        var rows = await connection.QueryAsync<MessageRecord>(new CommandDefinition(
            $"SELECT {MessageColumns} FROM chat_messages WHERE chat_id = @chatId AND user_id = @userId AND {KeysetPage.After} ORDER BY created_at, id LIMIT @take",
            parameters,
            cancellationToken: cancellationToken));
        return KeysetPage.Trim(rows.AsList(), page, m => (m.CreatedAt, m.Id));
    }

    public async Task<MessageRecord?> GetMessageAsync(Guid userId, Guid chatId, Guid messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindMessageAsync(connection, userId, chatId, messageId, cancellationToken);
    }

    public async Task<(WriteOutcome Outcome, MessageRecord? Message)> UpdateMessageAsync(Guid userId, Guid chatId, Guid messageId, byte[] body, long expectedRevision, long now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE chat_messages SET body = @body, revision = revision + 1, updated_at = @now WHERE id = @id AND chat_id = @chatId AND user_id = @userId AND revision = @expectedRevision",
            new { body, now, id = messageId.ToString("D"), chatId = chatId.ToString("D"), userId = userId.ToString("D"), expectedRevision },
            cancellationToken: cancellationToken));
        var message = await FindMessageAsync(connection, userId, chatId, messageId, cancellationToken);
        return WriteOutcomes.AfterUpdate(changed, message);
    }

    public async Task<bool> DeleteMessageAsync(Guid userId, Guid chatId, Guid messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM chat_messages WHERE id = @id AND chat_id = @chatId AND user_id = @userId",
            new { id = messageId.ToString("D"), chatId = chatId.ToString("D"), userId = userId.ToString("D") },
            cancellationToken: cancellationToken));
        return deleted == 1;
    }

    private static Task<ChatRecord?> FindChatAsync(DbConnection connection, Guid userId, Guid chatId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<ChatRecord>(new CommandDefinition(
            $"SELECT {ChatColumns} FROM chats WHERE id = @id AND user_id = @userId",
            new { id = chatId.ToString("D"), userId = userId.ToString("D") },
            cancellationToken: cancellationToken));

    private static Task<MessageRecord?> FindMessageAsync(DbConnection connection, Guid userId, Guid chatId, Guid messageId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<MessageRecord>(new CommandDefinition(
            $"SELECT {MessageColumns} FROM chat_messages WHERE id = @id AND chat_id = @chatId AND user_id = @userId",
            new { id = messageId.ToString("D"), chatId = chatId.ToString("D"), userId = userId.ToString("D") },
            cancellationToken: cancellationToken));
}
