using Microsoft.AspNetCore.Http.HttpResults;
using Polydev.Contracts;
using Polydev.Contracts.Vault;

namespace Polydev.Server.Vault;

/// <summary>Chats and their messages: titles and bodies are envelopes under the user's userKey.</summary>
public static class ChatEndpoints
{
    private static readonly VaultRecordType Chat = VaultRecordType.Chat;
    private static readonly VaultRecordType Message = VaultRecordType.Message;

    public static void MapChatEndpoints(this IEndpointRouteBuilder app, VaultOptions options)
    {
        var chats = app.MapGroup(ApiRoutes.Chats).WithTags("Vault: chats").RequireAuthorization().WithRequestBodyLimit(options.MaxRequestBodyBytes)
            .AddEndpointFilter<VaultWriteGate>();
        chats.MapGet("", ListChatsAsync).WithSummary("Your chats, newest first.");
        chats.MapPost("", CreateChatAsync).WithSummary("Create a chat; the client chooses its id.");
        chats.MapGet("{chatId:guid}", GetChatAsync);
        chats.MapPut("{chatId:guid}", UpdateChatAsync).WithSummary("Replace the title; revision must match the stored one.");
        chats.MapDelete("{chatId:guid}", DeleteChatAsync).WithSummary("Delete a chat and its messages.");

        var messages = chats.MapGroup("{chatId:guid}/messages");
        messages.MapGet("", ListMessagesAsync).WithSummary("A chat's messages, oldest first.");
        messages.MapPost("", CreateMessageAsync).WithSummary("Append a message; the client chooses its id. The answer leaves out the body just sent.");
        messages.MapGet("{messageId:guid}", GetMessageAsync);
        messages.MapPut("{messageId:guid}", UpdateMessageAsync).WithSummary("Replace a message body; revision must match the stored one.");
        messages.MapDelete("{messageId:guid}", DeleteMessageAsync);
    }

    private static Task<Results<Ok<Page<ChatResponse>>, ValidationProblem, ProblemHttpResult>> ListChatsAsync(
        int? limit, string? cursor, ChatStore store, [AsParameters] VaultRequest vault) =>
        vault.ListAsync<ChatRecord, ChatResponse>(Chat, limit, cursor, new RequestErrors(), async page => await store.ListChatsAsync(vault.UserId, page, vault.Aborted), VaultViews.ToResponse);

    private static Task<Results<Created<ChatResponse>, ValidationProblem, ProblemHttpResult>> CreateChatAsync(
        CreateChatRequest request, ChatStore store, [AsParameters] VaultRequest vault)
    {
        var chat = vault.NewRecord<ChatRecord>(request.Id);
        chat.Title = request.Title?.Envelope ?? [];
        return vault.CreateAsync(Chat, request.Title, chat, new RequestErrors(), store.CreateChatAsync, ApiRoutes.Chat(request.Id), VaultViews.ToResponse);
    }

    private static async Task<Results<Ok<ChatResponse>, ProblemHttpResult>> GetChatAsync(Guid chatId, ChatStore store, [AsParameters] VaultRequest vault) =>
        vault.Read(Chat, await store.GetChatAsync(vault.UserId, chatId, vault.Aborted), VaultViews.ToResponse);

    private static Task<Results<Ok<ChatResponse>, ValidationProblem, ProblemHttpResult>> UpdateChatAsync(
        Guid chatId, UpdateChatRequest request, ChatStore store, [AsParameters] VaultRequest vault) =>
        vault.UpdateAsync(Chat, chatId, request.Title, (title, now) => store.UpdateChatAsync(vault.UserId, chatId, title, request.Revision, now, vault.Aborted), VaultViews.ToResponse);

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteChatAsync(Guid chatId, ChatStore store, [AsParameters] VaultRequest vault) =>
        vault.Deleted(Chat, await store.DeleteChatAsync(vault.UserId, chatId, vault.Aborted));

    private static Task<Results<Ok<Page<MessageResponse>>, ValidationProblem, ProblemHttpResult>> ListMessagesAsync(
        Guid chatId, int? limit, string? cursor, ChatStore store, [AsParameters] VaultRequest vault) =>
        vault.ListAsync<MessageRecord, MessageResponse>(Message, limit, cursor, new RequestErrors(), page => store.ListMessagesAsync(vault.UserId, chatId, page, vault.Aborted), VaultViews.ToResponse);

    private static Task<Results<Created<MessageCreatedResponse>, ValidationProblem, ProblemHttpResult>> CreateMessageAsync(
        Guid chatId, CreateMessageRequest request, ChatStore store, [AsParameters] VaultRequest vault)
    {
        var message = vault.NewRecord<MessageRecord>(request.Id);
        message.ChatId = chatId.ToString("D");
        message.Body = request.Body?.Envelope ?? [];
        return vault.CreateAsync(Message, request.Body, message, new RequestErrors(), store.CreateMessageAsync, ApiRoutes.Message(chatId, request.Id), VaultViews.ToCreatedResponse);
    }

    private static async Task<Results<Ok<MessageResponse>, ProblemHttpResult>> GetMessageAsync(Guid chatId, Guid messageId, ChatStore store, [AsParameters] VaultRequest vault) =>
        vault.Read(Message, await store.GetMessageAsync(vault.UserId, chatId, messageId, vault.Aborted), VaultViews.ToResponse);

    private static Task<Results<Ok<MessageResponse>, ValidationProblem, ProblemHttpResult>> UpdateMessageAsync(
        Guid chatId, Guid messageId, UpdateMessageRequest request, ChatStore store, [AsParameters] VaultRequest vault) =>
        vault.UpdateAsync(Message, messageId, request.Body, (body, now) => store.UpdateMessageAsync(vault.UserId, chatId, messageId, body, request.Revision, now, vault.Aborted), VaultViews.ToResponse);

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteMessageAsync(Guid chatId, Guid messageId, ChatStore store, [AsParameters] VaultRequest vault) =>
        vault.Deleted(Message, await store.DeleteMessageAsync(vault.UserId, chatId, messageId, vault.Aborted));
}
