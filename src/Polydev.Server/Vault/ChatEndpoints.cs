using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Polydev.Contracts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;
using Polydev.Server.Accounts;
using Polydev.Server.Http;
using Polydev.Server.Observability;
using Polydev.Server.Storage;

namespace Polydev.Server.Vault;

/// <summary>Chats and their messages: titles and bodies are envelopes under the user's userKey.</summary>
public static class ChatEndpoints
{
    private const string NoChat = "No chat with this id in your vault.";
    private const string NoMessage = "No message with this id in this chat.";

    public static void MapChatEndpoints(this IEndpointRouteBuilder app, VaultOptions options)
    {
        var chats = app.MapGroup(ApiRoutes.Chats).WithTags("Vault: chats").RequireAuthorization().WithRequestBodyLimit(options.MaxRequestBodyBytes);
        chats.MapGet("", ListChatsAsync).WithSummary("Your chats, newest first.");
        chats.MapPost("", CreateChatAsync).WithSummary("Create a chat; the client chooses its id.");
        chats.MapGet("{chatId:guid}", GetChatAsync);
        chats.MapPut("{chatId:guid}", UpdateChatAsync).WithSummary("Replace the title; revision must match the stored one.");
        chats.MapDelete("{chatId:guid}", DeleteChatAsync).WithSummary("Delete a chat and its messages.");

        var messages = chats.MapGroup("{chatId:guid}/messages");
        messages.MapGet("", ListMessagesAsync).WithSummary("A chat's messages, oldest first.");
        messages.MapPost("", CreateMessageAsync).WithSummary("Append a message; the client chooses its id.");
        messages.MapGet("{messageId:guid}", GetMessageAsync);
        messages.MapPut("{messageId:guid}", UpdateMessageAsync).WithSummary("Replace a message body; revision must match the stored one.");
        messages.MapDelete("{messageId:guid}", DeleteMessageAsync);
    }

    private static async Task<Results<Ok<Page<ChatResponse>>, ValidationProblem>> ListChatsAsync(
        int? limit, string? cursor, ClaimsPrincipal user, ChatStore store, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        if (!PageRequest.TryCreate(limit, cursor, errors, out var page))
        {
            return errors.ToProblem();
        }

        var (items, next) = await store.ListChatsAsync(user.UserId(), page, cancellationToken);
        metrics.VaultReads.WithLabels("chat").Inc(items.Count);
        return TypedResults.Ok(new Page<ChatResponse>(items.Select(VaultViews.ToResponse).ToList(), next));
    }

    private static async Task<Results<Created<ChatResponse>, ValidationProblem, ProblemHttpResult>> CreateChatAsync(
        CreateChatRequest request, ClaimsPrincipal user, ChatStore store, IOptions<VaultOptions> options, TimeProvider clock, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        VaultRules.CheckNewId(request.Id, errors);
        EncryptedValueRules.Check(request.Title, "title", EnvelopeKinds.ChatTitle, request.Id, options.Value.MaxChatTitleBytes, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var now = UnixTime.Now(clock);
        var chat = new ChatRecord { Id = request.Id.ToString("D"), UserId = user.UserId().ToString("D"), Title = request.Title.Envelope, Revision = 1, CreatedAt = now, UpdatedAt = now };
        return VaultResults.Created(await store.CreateChatAsync(chat, cancellationToken), ApiRoutes.Chat(request.Id), VaultViews.ToResponse(chat), "chat", NoChat, metrics);
    }

    private static async Task<Results<Ok<ChatResponse>, ProblemHttpResult>> GetChatAsync(Guid chatId, ClaimsPrincipal user, ChatStore store, PolydevMetrics metrics, CancellationToken cancellationToken) =>
        VaultResults.Read(await store.GetChatAsync(user.UserId(), chatId, cancellationToken), VaultViews.ToResponse, "chat", NoChat, metrics);

    private static async Task<Results<Ok<ChatResponse>, ValidationProblem, ProblemHttpResult>> UpdateChatAsync(
        Guid chatId, UpdateChatRequest request, ClaimsPrincipal user, ChatStore store, IOptions<VaultOptions> options, TimeProvider clock, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        EncryptedValueRules.Check(request.Title, "title", EnvelopeKinds.ChatTitle, chatId, options.Value.MaxChatTitleBytes, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (outcome, chat) = await store.UpdateChatAsync(user.UserId(), chatId, request.Title.Envelope, request.Revision, UnixTime.Now(clock), cancellationToken);
        return VaultResults.Updated(outcome, chat, VaultViews.ToResponse, c => c.Revision, "chat", NoChat, metrics);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteChatAsync(Guid chatId, ClaimsPrincipal user, ChatStore store, PolydevMetrics metrics, CancellationToken cancellationToken) =>
        VaultResults.Deleted(await store.DeleteChatAsync(user.UserId(), chatId, cancellationToken), "chat", NoChat, metrics);

    private static async Task<Results<Ok<Page<MessageResponse>>, ValidationProblem, ProblemHttpResult>> ListMessagesAsync(
        Guid chatId, int? limit, string? cursor, ClaimsPrincipal user, ChatStore store, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        if (!PageRequest.TryCreate(limit, cursor, errors, out var page))
        {
            return errors.ToProblem();
        }

        var result = await store.ListMessagesAsync(user.UserId(), chatId, page, cancellationToken);
        if (result is not var (items, next))
        {
            return Problems.NotFound(NoChat);
        }

        metrics.VaultReads.WithLabels("message").Inc(items.Count);
        return TypedResults.Ok(new Page<MessageResponse>(items.Select(VaultViews.ToResponse).ToList(), next));
    }

    private static async Task<Results<Created<MessageResponse>, ValidationProblem, ProblemHttpResult>> CreateMessageAsync(
        Guid chatId, CreateMessageRequest request, ClaimsPrincipal user, ChatStore store, IOptions<VaultOptions> options, TimeProvider clock, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        VaultRules.CheckNewId(request.Id, errors);
        EncryptedValueRules.Check(request.Body, "body", EnvelopeKinds.ChatMessage, request.Id, options.Value.MaxMessageBytes, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var now = UnixTime.Now(clock);
        var message = new MessageRecord
        {
            Id = request.Id.ToString("D"),
            ChatId = chatId.ToString("D"),
            UserId = user.UserId().ToString("D"),
            Body = request.Body.Envelope,
            Revision = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
        return VaultResults.Created(await store.CreateMessageAsync(message, cancellationToken), ApiRoutes.Message(chatId, request.Id), VaultViews.ToResponse(message), "message", NoChat, metrics);
    }

    private static async Task<Results<Ok<MessageResponse>, ProblemHttpResult>> GetMessageAsync(
        Guid chatId, Guid messageId, ClaimsPrincipal user, ChatStore store, PolydevMetrics metrics, CancellationToken cancellationToken) =>
        VaultResults.Read(await store.GetMessageAsync(user.UserId(), chatId, messageId, cancellationToken), VaultViews.ToResponse, "message", NoMessage, metrics);

    private static async Task<Results<Ok<MessageResponse>, ValidationProblem, ProblemHttpResult>> UpdateMessageAsync(
        Guid chatId, Guid messageId, UpdateMessageRequest request, ClaimsPrincipal user, ChatStore store, IOptions<VaultOptions> options, TimeProvider clock, PolydevMetrics metrics, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        EncryptedValueRules.Check(request.Body, "body", EnvelopeKinds.ChatMessage, messageId, options.Value.MaxMessageBytes, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (outcome, message) = await store.UpdateMessageAsync(user.UserId(), chatId, messageId, request.Body.Envelope, request.Revision, UnixTime.Now(clock), cancellationToken);
        return VaultResults.Updated(outcome, message, VaultViews.ToResponse, m => m.Revision, "message", NoMessage, metrics);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteMessageAsync(
        Guid chatId, Guid messageId, ClaimsPrincipal user, ChatStore store, PolydevMetrics metrics, CancellationToken cancellationToken) =>
        VaultResults.Deleted(await store.DeleteMessageAsync(user.UserId(), chatId, messageId, cancellationToken), "message", NoMessage, metrics);
}
