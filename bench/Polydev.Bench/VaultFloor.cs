using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Polydev.Contracts;
using Polydev.Contracts.Vault;
using Polydev.Server.Http;
using Polydev.Server.Storage;
using Polydev.Server.Vault;

namespace Polydev.Bench;

/// <summary>
/// The honest floor of the vault API (issue 19): a bare ASP.NET Core minimal API on Kestrel that runs the vault's SQL on
/// the vault's own <see cref="Database"/> and answers the same JSON, with nothing else — no authentication, no envelope
/// checks, no middleware, no metrics, no log line. The vault API is measured against it, over the same HTTP client.
/// The statements are the ones <see cref="ChatStore"/> sends for the same request, written out here so that a change
/// to the store shows up as a difference instead of moving the floor along with it.
/// </summary>
internal static class VaultFloor
{
    public const string MessageColumns = "id, chat_id, user_id, body, revision, created_at, updated_at";

    /// <summary>The append, guarded by the chat's owner as the API's is.</summary>
    public const string Insert = $"""
        INSERT INTO chat_messages ({MessageColumns})
        SELECT @Id, @ChatId, @UserId, @Body, @Revision, @CreatedAt, @UpdatedAt
        WHERE EXISTS (SELECT 1 FROM chats WHERE id = @ChatId AND user_id = @UserId)
        """;

    public const string Read = $"SELECT {MessageColumns} FROM chat_messages WHERE id = @id AND chat_id = @chatId AND user_id = @userId";

    /// <summary>Whether the chat is the user's: a list of a chat that is not answers 404, not an empty page.</summary>
    public const string ChatExists = "SELECT 1 FROM chats WHERE id = @chatId AND user_id = @userId";

    /// <summary>The first page of a chat's messages, oldest first, one row more than asked (is there a next page?).</summary>
    public const string FirstPage = $"""
        SELECT {MessageColumns} FROM chat_messages
        WHERE user_id = @userId AND chat_id = @chatId
        ORDER BY created_at ASC, id ASC LIMIT @take
        """;

    public static string Messages(Guid chatId) => $"/floor/chats/{chatId:D}/messages";

    public static string Message(Guid chatId, Guid id) => $"/floor/chats/{chatId:D}/messages/{id:D}";

    /// <summary>Starts the floor on a loopback port for the one user <paramref name="userId"/>; dispose to stop it.</summary>
    public static async Task<WebApplication> StartAsync(Database database, Guid userId)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        builder.Services.ConfigureHttpJsonOptions(options => PolydevJson.Configure(options.SerializerOptions));
        var app = builder.Build();
        var user = userId.ToString("D");

        app.MapPost("/floor/chats/{chatId:guid}/messages", async (Guid chatId, CreateMessageRequest request) =>
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var message = new MessageRecord
            {
                Id = request.Id.ToString("D"), ChatId = chatId.ToString("D"), UserId = user, Body = request.Body.Envelope, Revision = 1, CreatedAt = now, UpdatedAt = now,
            };
            await using var connection = await database.OpenAsync();
            return await connection.ExecuteAsync(Insert, message) == 1
                ? Results.Created(Message(chatId, request.Id), VaultViews.ToCreatedResponse(message))
                : Results.NotFound();
        });

        app.MapGet("/floor/chats/{chatId:guid}/messages/{messageId:guid}", async (Guid chatId, Guid messageId) =>
        {
            await using var connection = await database.OpenAsync();
            var message = await connection.QuerySingleOrDefaultAsync<MessageRecord>(Read, new { id = messageId.ToString("D"), chatId = chatId.ToString("D"), userId = user });
            return message is null ? Results.NotFound() : Results.Ok(VaultViews.ToResponse(message));
        });

        app.MapGet("/floor/chats/{chatId:guid}/messages", async (Guid chatId, int? limit) =>
        {
            var take = limit ?? Cursor.DefaultLimit;
            var ids = new { chatId = chatId.ToString("D"), userId = user, take = take + 1 };
            await using var connection = await database.OpenAsync();
            if (await connection.ExecuteScalarAsync<long?>(ChatExists, ids) is null)
            {
                return Results.NotFound();
            }

            var rows = (await connection.QueryAsync<MessageRecord>(FirstPage, ids)).AsList();
            string? next = null;
            if (rows.Count > take)
            {
                rows.RemoveAt(rows.Count - 1);
                next = new Cursor(rows[^1].CreatedAt, Guid.Parse(rows[^1].Id)).ToString();
            }

            return Results.Ok(new Page<MessageResponse>(rows.Select(VaultViews.ToResponse).ToList(), next));
        });

        await app.StartAsync();
        return app;
    }
}
