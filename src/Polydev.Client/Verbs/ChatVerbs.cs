using System.CommandLine;
using Polydev.Client.Api;
using Polydev.Client.Keys;
using Polydev.Client.State;
using Polydev.Client.Terminal;
using Polydev.Client.Vault;
using Polydev.Contracts.Vault;

namespace Polydev.Client.Verbs;

/// <summary><c>polydev chats new|append|list|show</c>: chats whose titles and messages only this client can read.</summary>
internal static class ChatVerbs
{
    private const string ListVerb = "polydev chats list";

    public static Command Create(GlobalOptions globals)
    {
        var title = new Argument<string>("TITLE") { Description = "The chat's title." };
        var create = new Command("new", "Start a chat.") { title };
        VerbAction.Set(create, globals, context => NewAsync(context, context.Parse.GetRequiredValue(title)));

        var chat = new Argument<string>("CHAT") { Description = "The chat's id, a unique start of it, or its exact title." };
        var text = new Argument<string>("TEXT") { Description = "The message; '-' reads it from stdin." };
        var append = new Command("append", "Add a message from you to a chat.") { chat, text };
        VerbAction.Set(append, globals, context => AppendAsync(context, context.Parse.GetRequiredValue(chat), context.Parse.GetRequiredValue(text)));

        var list = new Command("list", "List your chats, newest first.");
        VerbAction.Set(list, globals, ListAsync);

        var showChat = new Argument<string>("CHAT") { Description = "The chat's id, a unique start of it, or its exact title." };
        var show = new Command("show", "Print a chat's messages, oldest first.") { showChat };
        VerbAction.Set(show, globals, context => ShowAsync(context, context.Parse.GetRequiredValue(showChat)));

        return new Command("chats", "Your chats, end-to-end encrypted.") { create, append, list, show };
    }

    private static async Task<int> NewAsync(VerbContext context, string title)
    {
        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var id = Guid.CreateVersion7();
        var created = await api.CreateChatAsync(new CreateChatRequest(id, ChatTitle.Seal(new VaultCipher(keys), id, title)), context.Cancellation);

        context.Output.Result(new { id = created.Id, title, createdAt = created.CreatedAt });
        context.Output.Line($"Created chat {created.Id}.");
        return ExitCodes.Success;
    }

    private static async Task<int> AppendAsync(VerbContext context, string chatText, string text)
    {
        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var cipher = new VaultCipher(keys);
        var (chat, _) = await FindAsync(context, api, cipher, chatText);

        var body = text == "-" ? Prompt.ReadAllStdin() : text;
        if (body.Length == 0)
        {
            throw new UsageException("the message is empty; nothing was added.");
        }

        var id = Guid.CreateVersion7();
        var message = new ChatMessageBody(ChatMessageBody.User, body, Provider: null, Model: null);
        var created = await api.CreateMessageAsync(chat.Id, new CreateMessageRequest(id, message.Seal(cipher, chat.Id, id)), context.Cancellation);

        context.Output.Result(new { id = created.Id, chatId = chat.Id, createdAt = created.CreatedAt });
        context.Output.Line($"Added message {created.Id} to chat {chat.Id}.");
        return ExitCodes.Success;
    }

    private static async Task<int> ListAsync(VerbContext context)
    {
        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var cipher = new VaultCipher(keys);
        var chats = (await api.ListChatsAsync(context.Cancellation))
            .Select(c => new { id = c.Id, title = ChatTitle.Open(cipher, c.Id, c.Title), messageCount = c.MessageCount, createdAt = c.CreatedAt, updatedAt = c.LastMessageAt is { } last && last > c.UpdatedAt ? last : c.UpdatedAt })
            .ToList();

        context.Output.List(
            chats,
            "No chats yet. Start one with: polydev chats new \"A title\"",
            ["ID", "UPDATED", "MESSAGES", "TITLE"],
            c => [c.id.ToString("D"), Output.When(c.updatedAt), c.messageCount.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.OneLine(c.title)]);
        return ExitCodes.Success;
    }

    private static async Task<int> ShowAsync(VerbContext context, string chatText)
    {
        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var cipher = new VaultCipher(keys);
        var (chat, title) = await FindAsync(context, api, cipher, chatText);
        var messages = await MessagesAsync(context, api, cipher, chat.Id);

        context.Output.Result(new
        {
            id = chat.Id,
            title,
            createdAt = chat.CreatedAt,
            messages = messages.Select(m => new { id = m.Id, role = m.Body.Role, text = m.Body.Text, provider = m.Body.Provider, model = m.Body.Model, failure = m.Body.Failure, createdAt = m.CreatedAt }),
        });

        context.Output.Line($"{title}  ({chat.Id})");
        foreach (var (_, createdAt, body) in messages)
        {
            var by = body.Provider is null ? body.Role : $"{body.Role}, {body.Provider}{(body.Model is null ? "" : "/" + body.Model)}";
            context.Output.Line();
            context.Output.Line($"[{by}{(body.Failure is null ? "" : ", failed")}] {Output.When(createdAt)}");
            if (body.Failure is { } failure)
            {
                context.Output.Line(failure.Message);
            }

            if (body.Failure is null || body.Text.Length > 0)
            {
                context.Output.Line(body.Text);
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// The chat <paramref name="text"/> names: a full id is fetched directly; anything else is matched against every
    /// chat's id prefix and decrypted title, and must name exactly one.
    /// </summary>
    /// <summary>
    /// A chat's messages, opened, in their authenticated order: a message's place is its id (a UUIDv7: its creation
    /// time leads), which its envelope authenticates; the server's order is not trusted, so a server that reorders
    /// messages changes nothing. Older, unbound messages are re-sealed bound on the way.
    /// </summary>
    internal static async Task<List<(Guid Id, DateTimeOffset CreatedAt, ChatMessageBody Body)>> MessagesAsync(VerbContext context, PolydevApi api, VaultCipher cipher, Guid chatId)
    {
        var opened = (await api.ListMessagesAsync(chatId, context.Cancellation))
            .Select(m => (Message: m, Opened: ChatMessageBody.Open(cipher, chatId, m.Id, m.Body)))
            .OrderBy(m => m.Message.Id.ToString("D"), StringComparer.Ordinal)
            .ToList();
        await LegacyRecords.ResealAsync(
            opened.Where(m => m.Opened.Legacy).Select(m => (Func<Task>)(() => api.UpdateMessageAsync(
                chatId, m.Message.Id, new UpdateMessageRequest(m.Opened.Body.Seal(cipher, chatId, m.Message.Id), m.Message.Revision), context.Cancellation))),
            "older message of this chat", "older messages of this chat", "it");
        return opened.Select(m => (m.Message.Id, m.Message.CreatedAt, m.Opened.Body)).ToList();
    }

    internal static async Task<(ChatResponse Chat, string Title)> FindAsync(VerbContext context, PolydevApi api, VaultCipher cipher, string text)
    {
        if (Guid.TryParse(text, out var id))
        {
            var chat = await api.GetChatAsync(id, context.Cancellation);
            return (chat, ChatTitle.Open(cipher, chat.Id, chat.Title));
        }

        var matches = new List<(ChatResponse, string)>();
        foreach (var chat in await api.ListChatsAsync(context.Cancellation))
        {
            var title = ChatTitle.Open(cipher, chat.Id, chat.Title);
            if (title == text || IdPrefix.Matches(chat.Id, text))
            {
                matches.Add((chat, title));
            }
        }

        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new CliException($"no chat has this id, id prefix or title; see `{ListVerb}`."),
            _ => throw new CliException($"{matches.Count} chats match this id prefix or title; use the chat's id (see `{ListVerb}`)."),
        };
    }
}
