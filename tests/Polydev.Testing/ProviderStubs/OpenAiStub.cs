using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Polydev.Testing.ProviderStubs;

/// <summary>
/// The part of the OpenAI Responses API that <c>codex exec</c> (0.171) uses for one headless prompt, under any path
/// prefix (the CLI's base URL conventionally ends in <c>/v1</c>): <c>POST …/responses</c> answered as a server-sent
/// event stream (the CLI always asks for <c>text/event-stream</c>; a plain JSON response object otherwise), and
/// <c>GET …/models</c>, the model list a ChatGPT login fetches at start, answered empty. Everything else, including
/// the Responses WebSocket upgrade the CLI tries first with its built-in provider, gets a 404 with a JSON error.
/// The credential is the bearer token: the API key, or the access token of a ChatGPT login's <c>auth.json</c>.
/// </summary>
public sealed class OpenAiStub : ProviderStub
{
    /// <summary>Usage reported for every answer: input tokens, of which cached, and output tokens.</summary>
    public const int InputTokens = 1234;
    public const int CachedInputTokens = 234;
    public const int OutputTokens = 56;

    /// <summary>When set, <c>POST …/responses</c> answers with this status and an OpenAI-style JSON error.</summary>
    public int? FailWithStatus { get; set; }

    protected override void MapRoutes(WebApplication app)
    {
        app.Run(async context =>
        {
            HttpRequest request = context.Request;
            RecordCredential(BearerToken(request));
            string path = request.Path.Value ?? "";
            if (HttpMethods.IsPost(request.Method) && path.EndsWith("/responses", StringComparison.Ordinal))
            {
                await RespondAsync(context);
            }
            else if (HttpMethods.IsGet(request.Method) && path.EndsWith("/models", StringComparison.Ordinal) && !request.Headers.Upgrade.Any())
            {
                // Both list shapes: the public API's "data", and the "models" the CLI reads.
                await WriteJsonAsync(context.Response, new JsonObject { ["object"] = "list", ["data"] = new JsonArray(), ["models"] = new JsonArray() });
            }
            else
            {
                await ErrorAsync(context.Response, StatusCodes.Status404NotFound, "not_found", $"The stub does not serve {request.Method} {path}.");
            }
        });
    }

    private async Task RespondAsync(HttpContext context)
    {
        // Drain the request (the prompt, tools and instructions; possibly compressed) without parsing it.
        await context.Request.Body.CopyToAsync(Stream.Null);
        if (FailWithStatus is { } status)
        {
            await ErrorAsync(context.Response, status, status == 401 ? "invalid_api_key" : "server_error", $"The stub fails with {status}.");
            return;
        }

        string responseId = "resp_" + Guid.NewGuid().ToString("N");
        string messageId = "msg_" + Guid.NewGuid().ToString("N");
        JsonObject Message(string itemStatus, bool withText) => new()
        {
            ["type"] = "message",
            ["id"] = messageId,
            ["role"] = "assistant",
            ["status"] = itemStatus,
            ["content"] = withText
                ? new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = Answer, ["annotations"] = new JsonArray() })
                : new JsonArray(),
        };
        JsonObject Response(string responseStatus, JsonArray output, JsonObject? usage) => new()
        {
            ["id"] = responseId,
            ["object"] = "response",
            ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["status"] = responseStatus,
            ["output"] = output,
            ["usage"] = usage,
        };
        var usage = new JsonObject
        {
            ["input_tokens"] = InputTokens,
            ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = CachedInputTokens },
            ["output_tokens"] = OutputTokens,
            ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
            ["total_tokens"] = InputTokens + OutputTokens,
        };

        HttpResponse response = context.Response;
        if (!context.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.Ordinal))
        {
            await WriteJsonAsync(response, Response("completed", [Message("completed", withText: true)], usage));
            return;
        }

        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        int sequence = 0;
        async Task SendAsync(string type, JsonObject data)
        {
            data["type"] = type;
            data["sequence_number"] = sequence++;
            await response.WriteAsync($"event: {type}\ndata: {data.ToJsonString()}\n\n", Encoding.UTF8);
            await response.Body.FlushAsync();
        }

        await SendAsync("response.created", new JsonObject { ["response"] = Response("in_progress", [], null) });
        await SendAsync("response.output_item.added", new JsonObject { ["output_index"] = 0, ["item"] = Message("in_progress", withText: false) });
        await SendAsync("response.output_text.delta", new JsonObject { ["item_id"] = messageId, ["output_index"] = 0, ["content_index"] = 0, ["delta"] = Answer });
        await SendAsync("response.output_item.done", new JsonObject { ["output_index"] = 0, ["item"] = Message("completed", withText: true) });
        await SendAsync("response.completed", new JsonObject { ["response"] = Response("completed", [Message("completed", withText: true)], usage) });
    }

    private static string? BearerToken(HttpRequest request)
    {
        string authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : null;
    }

    private static Task ErrorAsync(HttpResponse response, int status, string code, string message)
    {
        response.StatusCode = status;
        return WriteJsonAsync(response, new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["code"] = code } });
    }

    private static Task WriteJsonAsync(HttpResponse response, JsonNode body)
    {
        response.ContentType = "application/json";
        return response.WriteAsync(body.ToJsonString(), Encoding.UTF8);
    }
}
