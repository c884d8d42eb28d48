using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Polydev.Testing.ProviderStubs;

/// <summary>
/// The part of the Anthropic Messages API that Claude Code (2.1.x) uses for one headless prompt: a single
/// <c>POST /v1/messages?beta=true</c> with <c>"stream": true</c>, answered as server-sent events (a non-streaming
/// request gets the same message as one JSON object), plus <c>count_tokens</c>. Claude Code sends an API key as
/// <c>x-api-key</c> and the OAuth access token from <c>~/.claude/.credentials.json</c> as
/// <c>Authorization: Bearer</c>; either is recorded. Any other path answers 404 in the API's error shape.
/// </summary>
public sealed class AnthropicStub : ProviderStub
{
    private readonly ConcurrentQueue<string> _models = new();

    /// <summary>When set, every Messages request is answered with this status and an API error body instead of <see cref="ProviderStub.Answer"/>.</summary>
    public int? FailWithStatus { get; set; }

    /// <summary>How long each model call waits before answering: an execution that runs for a while, to cancel or kill.</summary>
    public TimeSpan ResponseDelay { get; set; }

    /// <summary>
    /// When set, a request whose last message carries no tool result is answered with this tool call instead of text
    /// (stop reason <c>tool_use</c>); Claude Code runs the tool and asks again with its result, which gets
    /// <see cref="ProviderStub.Answer"/>. The tool must be one Claude Code offers in the request.
    /// </summary>
    public (string Name, JsonObject Input)? ToolCall { get; set; }

    /// <summary>The tool names Claude Code offered in its latest Messages request.</summary>
    public IReadOnlyList<string> OfferedTools { get; private set; } = [];

    /// <summary>The usage every answer reports.</summary>
    public int InputTokens { get; set; } = 2_187;

    public int OutputTokens { get; set; } = 12;

    public int CacheReadInputTokens { get; set; } = 1_024;

    /// <summary>The <c>model</c> of every Messages request, in arrival order.</summary>
    public IReadOnlyCollection<string> RequestedModels => _models.ToArray();

    protected override void MapRoutes(WebApplication app)
    {
        app.MapPost("/v1/messages", MessagesAsync);
        app.MapPost("/v1/messages/count_tokens", CountTokensAsync);
        app.MapFallback(context => ErrorAsync(context, StatusCodes.Status404NotFound, "not_found_error", $"The stub has no {context.Request.Method} {context.Request.Path}."));
    }

    private async Task MessagesAsync(HttpContext context)
    {
        RecordCredential(CredentialOf(context.Request));
        using JsonDocument request = await JsonDocument.ParseAsync(context.Request.Body);
        JsonElement root = request.RootElement;
        string model = root.TryGetProperty("model", out JsonElement m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "claude-stub";
        _models.Enqueue(model);
        if (root.TryGetProperty("tools", out JsonElement tools) && tools.ValueKind == JsonValueKind.Array)
        {
            OfferedTools = [.. tools.EnumerateArray().Select(t => t.TryGetProperty("name", out JsonElement n) ? n.GetString() ?? "" : "")];
        }

        if (ResponseDelay > TimeSpan.Zero)
        {
            await Task.Delay(ResponseDelay, context.RequestAborted);
        }

        if (FailWithStatus is { } status)
        {
            // The message names the status only: a client that echoes it must not be able to echo the credential.
            await ErrorAsync(context, status, ErrorType(status), $"The stub refused the request with {status}.");
            return;
        }

        string id = $"msg_stub{Guid.NewGuid():N}"[..28];
        bool streaming = root.TryGetProperty("stream", out JsonElement stream) && stream.ValueKind == JsonValueKind.True;
        if (ToolCall is { } tool && streaming && !LastMessageHasToolResult(root))
        {
            await StreamToolUseAsync(context, id, model, tool.Name, tool.Input);
            return;
        }

        if (streaming)
        {
            await StreamAsync(context, id, model);
            return;
        }

        await WriteJsonAsync(context.Response, new JsonObject
        {
            ["id"] = id,
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = Answer }),
            ["stop_reason"] = "end_turn",
            ["stop_sequence"] = null,
            ["usage"] = Usage(OutputTokens),
        });
    }

    /// <summary>The event sequence of one text answer: message_start, one text block in two deltas, message_delta, message_stop.</summary>
    private async Task StreamAsync(HttpContext context, string id, string model)
    {
        HttpResponse response = context.Response;
        int half = Answer.Length / 2;

        await MessageStartAsync(response, id, model);
        await EventAsync(response, "content_block_start", new JsonObject
        {
            ["type"] = "content_block_start",
            ["index"] = 0,
            ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" },
        });
        foreach (string part in (string[])[Answer[..half], Answer[half..]])
        {
            await EventAsync(response, "content_block_delta", new JsonObject
            {
                ["type"] = "content_block_delta",
                ["index"] = 0,
                ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = part },
            });
        }

        await EventAsync(response, "content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = 0 });
        await MessageEndAsync(response, "end_turn");
    }

    /// <summary>One tool call: message_start, a tool_use block whose input arrives as one JSON delta, stop reason tool_use.</summary>
    private async Task StreamToolUseAsync(HttpContext context, string id, string model, string name, JsonObject input)
    {
        HttpResponse response = context.Response;
        await MessageStartAsync(response, id, model);
        await EventAsync(response, "content_block_start", new JsonObject
        {
            ["type"] = "content_block_start",
            ["index"] = 0,
            ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = $"toolu_stub{Guid.NewGuid():N}"[..26], ["name"] = name, ["input"] = new JsonObject() },
        });
        await EventAsync(response, "content_block_delta", new JsonObject
        {
            ["type"] = "content_block_delta",
            ["index"] = 0,
            ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = input.ToJsonString() },
        });
        await EventAsync(response, "content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = 0 });
        await MessageEndAsync(response, "tool_use");
    }

    private Task MessageStartAsync(HttpResponse response, string id, string model)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        return EventAsync(response, "message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = new JsonObject
            {
                ["id"] = id,
                ["type"] = "message",
                ["role"] = "assistant",
                ["model"] = model,
                ["content"] = new JsonArray(),
                ["stop_reason"] = null,
                ["stop_sequence"] = null,
                ["usage"] = Usage(outputTokens: 1),
            },
        });
    }

    private async Task MessageEndAsync(HttpResponse response, string stopReason)
    {
        await EventAsync(response, "message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = stopReason, ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = OutputTokens },
        });
        await EventAsync(response, "message_stop", new JsonObject { ["type"] = "message_stop" });
    }

    private static bool LastMessageHasToolResult(JsonElement request) =>
        request.TryGetProperty("messages", out JsonElement messages)
        && messages.ValueKind == JsonValueKind.Array
        && messages.GetArrayLength() > 0
        && messages[messages.GetArrayLength() - 1].TryGetProperty("content", out JsonElement content)
        && content.ValueKind == JsonValueKind.Array
        && content.EnumerateArray().Any(block => block.TryGetProperty("type", out JsonElement type) && type.ValueEquals("tool_result"));

    private async Task CountTokensAsync(HttpContext context)
    {
        RecordCredential(CredentialOf(context.Request));
        await WriteJsonAsync(context.Response, new JsonObject { ["input_tokens"] = InputTokens });
    }

    private JsonObject Usage(int outputTokens) => new()
    {
        ["input_tokens"] = InputTokens,
        ["cache_creation_input_tokens"] = 0,
        ["cache_read_input_tokens"] = CacheReadInputTokens,
        ["output_tokens"] = outputTokens,
    };

    private static string? CredentialOf(HttpRequest request)
    {
        if (request.Headers["x-api-key"].ToString() is { Length: > 0 } key)
        {
            return key;
        }

        string authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : null;
    }

    private static Task WriteJsonAsync(HttpResponse response, JsonObject body)
    {
        response.ContentType = "application/json";
        return response.WriteAsync(body.ToJsonString(), Encoding.UTF8);
    }

    private static async Task EventAsync(HttpResponse response, string name, JsonObject data)
    {
        await response.WriteAsync($"event: {name}\ndata: {data.ToJsonString()}\n\n", Encoding.UTF8);
        await response.Body.FlushAsync();
    }

    private static string ErrorType(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };

    private static Task ErrorAsync(HttpContext context, int status, string type, string message)
    {
        context.Response.StatusCode = status;
        return WriteJsonAsync(context.Response, new JsonObject
        {
            ["type"] = "error",
            ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
        });
    }
}
