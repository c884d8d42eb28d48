using System.CommandLine;
using Polydev.Client.Api;
using Polydev.Client.Keys;
using Polydev.Client.State;
using Polydev.Client.Terminal;
using Polydev.Client.Vault;
using Polydev.Contracts.Vault;

namespace Polydev.Client.Verbs;

/// <summary><c>polydev chats new|append|list|show|rename|delete|export</c>: chats whose titles and messages only this client can read.</summary>
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

        var renameChat = new Argument<string>("CHAT") { Description = "The chat's id, a unique start of it, or its exact title." };
        var newTitle = new Argument<string>("TITLE") { Description = "The new title." };
        var rename = new Command("rename", "Give a chat a new title.") { renameChat, newTitle };
        VerbAction.Set(rename, globals, context => RenameAsync(context, context.Parse.GetRequiredValue(renameChat), context.Parse.GetRequiredValue(newTitle)));

        var deleteChat = new Argument<string>("CHAT") { Description = "The chat's id, a unique start of it, or its exact title." };
        var yes = new Option<bool>("--yes") { Description = "Do not ask to confirm." };
        var delete = new Command("delete", "Delete a chat and all its messages, for good.") { deleteChat, yes };
        VerbAction.Set(delete, globals, context => DeleteAsync(context, context.Parse.GetRequiredValue(deleteChat), context.Parse.GetValue(yes)));

        var exportChat = new Argument<string>("CHAT") { Description = "The chat's id, a unique start of it, or its exact title." };
        var format = new Option<string>("--format") { Description = "markdown or json.", DefaultValueFactory = _ => "markdown", HelpName = "FORMAT" };
        format.AcceptOnlyFromAmong("markdown", "json");
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file (created with mode 0600) instead of stdout.", HelpName = "FILE" };
        var export = new Command("export", "Write a chat, decrypted here, as Markdown or JSON.") { exportChat, format, output };
        VerbAction.Set(export, globals, context => ExportAsync(context, context.Parse.GetRequiredValue(exportChat), context.Parse.GetRequiredValue(format), context.Parse.GetValue(output)));

        return new Command("chats", "Your chats, end-to-end encrypted.") { create, append, list, show, rename, delete, export };
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
        var (chat, _) = await UserChats.FindAsync(api, cipher, chatText, context.Cancellation);

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

        var shortId = IdPrefix.Shortest(chats.Select(c => c.id));
        context.Output.List(
            chats,
            "No chats yet. Start one with: polydev chats new \"A title\"",
            ["ID", "UPDATED", "MESSAGES", "TITLE"],
            c => [shortId(c.id), Output.When(c.updatedAt), c.messageCount.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.OneLine(c.title)]);
        return ExitCodes.Success;
    }

    private static async Task<int> ShowAsync(VerbContext context, string chatText)
    {
        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var cipher = new VaultCipher(keys);
        var (chat, title) = await UserChats.FindAsync(api, cipher, chatText, context.Cancellation);
        var messages = await UserChats.MessagesAsync(api, cipher, chat.Id, context.Cancellation);

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

            if ((body.Failure is null || body.Text.Length > 0) && !context.Output.Json)
            {
                // Answers as Markdown on a terminal (escaped first: TerminalMarkdown), as written when piped.
                var text = TerminalMarkdown.Render(body.Text, styled: body.Role == ChatMessageBody.Assistant && !Console.IsOutputRedirected);
                Console.Out.WriteLine(text.EndsWith('\n') ? text[..^1] : text);
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// The chat <paramref name="text"/> names: a full id is fetched directly; anything else is matched against every
    /// chat's id prefix and decrypted title, and must name exactly one.
    /// </summary>
    private static async Task<int> RenameAsync(VerbContext context, string chatText, string title)
    {
        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var cipher = new VaultCipher(keys);
        var (chat, old) = await UserChats.FindAsync(api, cipher, chatText, context.Cancellation);
        var renamed = await api.UpdateChatAsync(chat.Id, new UpdateChatRequest(ChatTitle.Seal(cipher, chat.Id, title), chat.Revision), context.Cancellation);

        context.Output.Result(new { id = renamed.Id, title });
        context.Output.Line($"Renamed '{Output.OneLine(old)}' to '{Output.OneLine(title)}'.");
        return ExitCodes.Success;
    }

    private static async Task<int> DeleteAsync(VerbContext context, string chatText, bool confirmed)
    {
        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var (chat, title) = await UserChats.FindAsync(api, new VaultCipher(keys), chatText, context.Cancellation);
        if (!confirmed)
        {
            if (!Prompt.CanAsk)
            {
                throw new UsageException("no terminal to confirm on; pass --yes to delete the chat.");
            }

            var answer = Prompt.ReadLine($"Delete '{Output.OneLine(title)}' and its {chat.MessageCount} message(s), for good? [y/N] ").Trim();
            if (!answer.Equals("y", StringComparison.OrdinalIgnoreCase) && !answer.Equals("yes", StringComparison.OrdinalIgnoreCase))
            {
                throw new CliException("nothing was deleted.");
            }
        }

        await api.DeleteChatAsync(chat.Id, context.Cancellation);
        context.Output.Result(new { id = chat.Id, deleted = true });
        context.Output.Line($"Deleted '{Output.OneLine(title)}' and its {chat.MessageCount} message(s).");
        return ExitCodes.Success;
    }

    private static async Task<int> ExportAsync(VerbContext context, string chatText, string format, string? path)
    {
        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var cipher = new VaultCipher(keys);
        var (chat, title) = await UserChats.FindAsync(api, cipher, chatText, context.Cancellation);
        var messages = await UserChats.MessagesAsync(api, cipher, chat.Id, context.Cancellation);
        var text = format == "json"
            ? System.Text.Json.JsonSerializer.Serialize(
                new { id = chat.Id, title, createdAt = chat.CreatedAt, messages = messages.Select(m => new { id = m.Id, role = m.Body.Role, text = m.Body.Text, provider = m.Body.Provider, model = m.Body.Model, failure = m.Body.Failure, createdAt = m.CreatedAt }) },
                Polydev.Contracts.PolydevJson.Options) + "\n"
            : ChatMarkdown.Write(title, messages.Select(m => (m.CreatedAt, m.Body)));
        if (path is null)
        {
            // Into a file or a pipe the chat's own bytes go as they are; onto a terminal, escaped (issue 13, finding 12).
            Console.Out.Write(Console.IsOutputRedirected ? text : TerminalText.Printable(text));
            return ExitCodes.Success;
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            await using var file = new FileStream(path, options);
            await file.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), context.Cancellation);
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw new CliException($"{path} exists already; nothing was written ({e.GetType().Name}).");
        }

        Output.Note($"Wrote '{Output.OneLine(title)}' ({messages.Count} message(s), decrypted) to {path}.");
        return ExitCodes.Success;
    }
}
