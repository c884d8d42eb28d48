using System.Data.Common;
using Dapper;

namespace Polydev.Server.Vault;

/// <summary>
/// Reads and writes <c>chats</c> and <c>chat_messages</c>. Every statement is scoped by
/// <c>user_id</c>, so another user's record is indistinguishable from a missing one.
/// </summary>
public sealed class ChatStore(Database database) : IUserDataOwner
{
    // Appends do not write the chat row (see CreateMessageAsync); activity is read from the messages' index instead.
    private const string ChatColumns = "id, user_id, title, revision, created_at, updated_at, "
        + "(SELECT COUNT(*) FROM chat_messages m WHERE m.user_id = chats.user_id AND m.chat_id = chats.id) AS message_count, "
        + "(SELECT MAX(created_at) FROM chat_messages m WHERE m.user_id = chats.user_id AND m.chat_id = chats.id) AS last_message_at";
    private const string MessageColumns = "id, chat_id, user_id, body, revision, created_at, updated_at";

    private readonly VaultTable<ChatRecord> _chats = new(database, "chats", ChatColumns, "title");
    private readonly VaultTable<MessageRecord> _messages = new(database, "chat_messages", MessageColumns, "body");

    public IReadOnlyList<string> Tables { get; } = ["chat_messages", "chats"];

    public Task ForgetUserAsync(DbConnection connection, DbTransaction transaction, Guid userId, CancellationToken cancellationToken) =>
        UserData.DeleteByUserAsync(connection, transaction, userId, Tables, cancellationToken);

    public Task<WriteOutcome> CreateChatAsync(ChatRecord chat, CancellationToken cancellationToken) =>
        _chats.InsertAsync("INSERT INTO chats (id, user_id, title, revision, created_at, updated_at) VALUES (@Id, @UserId, @Title, @Revision, @CreatedAt, @UpdatedAt)", chat, cancellationToken);

    /// <summary>The user's chats, newest first.</summary>
    public Task<(IReadOnlyList<ChatRecord> Items, string? NextCursor)> ListChatsAsync(Guid userId, PageRequest page, CancellationToken cancellationToken) =>
        _chats.PageAsync(null, null, userId, page, newestFirst: true, cancellationToken);

    public Task<ChatRecord?> GetChatAsync(Guid userId, Guid chatId, CancellationToken cancellationToken) =>
        _chats.GetAsync(new RecordKey(userId, chatId), cancellationToken);

    public Task<(WriteOutcome Outcome, ChatRecord? Chat)> UpdateChatAsync(Guid userId, Guid chatId, byte[] title, long expectedRevision, long now, CancellationToken cancellationToken) =>
        _chats.UpdateAsync(new RecordKey(userId, chatId), title, expectedRevision, now, cancellationToken);

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
    /// A chat deleted between the check and the insert is a foreign-key violation: not found too.
    /// </summary>
    public Task<WriteOutcome> CreateMessageAsync(MessageRecord message, CancellationToken cancellationToken) =>
        _messages.InsertAsync(
            $"""
            INSERT INTO chat_messages ({MessageColumns})
            SELECT @Id, @ChatId, @UserId, @Body, @Revision, @CreatedAt, @UpdatedAt
            WHERE EXISTS (SELECT 1 FROM chats WHERE id = @ChatId AND user_id = @UserId)
            """,
            message,
            cancellationToken);

    /// <summary>A page of the chat's messages, oldest first; null when the chat is not the user's.</summary>
    public async Task<(IReadOnlyList<MessageRecord> Items, string? NextCursor)?> ListMessagesAsync(Guid userId, Guid chatId, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Only whether the chat is the user's: its row with the message count would scan the user's messages.
        if (!await _chats.ExistsAsync(connection, new RecordKey(userId, chatId), cancellationToken))
        {
            return null;
        }

        return await _messages.PageAsync(connection, "chat_id = @chatId", new { chatId = chatId.ToString("D") }, userId, page, newestFirst: false, cancellationToken);
    }

    public Task<MessageRecord?> GetMessageAsync(Guid userId, Guid chatId, Guid messageId, CancellationToken cancellationToken) =>
        _messages.GetAsync(new RecordKey(userId, messageId, chatId), cancellationToken);

    public Task<(WriteOutcome Outcome, MessageRecord? Message)> UpdateMessageAsync(Guid userId, Guid chatId, Guid messageId, byte[] body, long expectedRevision, long now, CancellationToken cancellationToken) =>
        _messages.UpdateAsync(new RecordKey(userId, messageId, chatId), body, expectedRevision, now, cancellationToken);

    public Task<bool> DeleteMessageAsync(Guid userId, Guid chatId, Guid messageId, CancellationToken cancellationToken) =>
        _messages.DeleteAsync(new RecordKey(userId, messageId, chatId), cancellationToken);
}
