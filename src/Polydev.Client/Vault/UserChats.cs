using Polydev.Client.Api;
using Polydev.Client.Terminal;
using Polydev.Client.Verbs;
using Polydev.Contracts.Vault;

namespace Polydev.Client.Vault;

/// <summary>The user's chats as the verbs, the runner and the MCP server read them: found by name, opened in order.</summary>
internal static class UserChats
{
    /// <summary>
    /// A chat's messages, opened, in their authenticated order: a message's place is its id (a UUIDv7: its creation
    /// time leads), which its envelope authenticates; the server's order is not trusted, so a server that reorders
    /// messages changes nothing. Older, unbound messages are re-sealed bound on the way.
    /// </summary>
    public static async Task<List<(Guid Id, DateTimeOffset CreatedAt, ChatMessageBody Body)>> MessagesAsync(PolydevApi api, VaultCipher cipher, Guid chatId, CancellationToken cancellationToken)
    {
        var opened = (await api.ListMessagesAsync(chatId, cancellationToken))
            .Select(m => (Message: m, Opened: ChatMessageBody.Open(cipher, chatId, m.Id, m.Body)))
            .OrderBy(m => m.Message.Id.ToString("D"), StringComparer.Ordinal)
            .ToList();
        await LegacyRecords.ResealAsync(
            opened.Where(m => m.Opened.Legacy).Select(m => (Func<Task>)(() => api.UpdateMessageAsync(
                chatId, m.Message.Id, new UpdateMessageRequest(m.Opened.Body.Seal(cipher, chatId, m.Message.Id), m.Message.Revision), cancellationToken))),
            "older message of this chat", "older messages of this chat", "it");
        return opened.Select(m => (m.Message.Id, m.Message.CreatedAt, m.Opened.Body)).ToList();
    }

    /// <summary>The chat <paramref name="text"/> names: its id, a unique start of it, or its exact title.</summary>
    public static async Task<(ChatResponse Chat, string Title)> FindAsync(PolydevApi api, VaultCipher cipher, string text, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(text, out var id))
        {
            var chat = await api.GetChatAsync(id, cancellationToken);
            return (chat, ChatTitle.Open(cipher, chat.Id, chat.Title));
        }

        var matches = new List<(ChatResponse, string)>();
        var all = await api.ListChatsAsync(cancellationToken);
        foreach (var chat in all)
        {
            var title = ChatTitle.Open(cipher, chat.Id, chat.Title);
            if (title == text || IdPrefix.Matches(chat.Id, text))
            {
                matches.Add((chat, title));
            }
        }

        if (matches.Count == 1)
        {
            return matches[0];
        }

        if (matches.Count == 0)
        {
            throw new CliException($"no chat has this id, id prefix or title; see `polydev chats list`.");
        }

        var shortId = IdPrefix.Shortest(all.Select(c => c.Id));
        var candidates = string.Join(", ", matches.Take(5).Select(m => $"{shortId(m.Item1.Id)} ({Output.OneLine(m.Item2)})"));
        throw new CliException($"{matches.Count} chats match '{text}': {candidates}{(matches.Count > 5 ? ", …" : "")}; give more of the id.");
    }
}
