using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Polydev.Testing.ProviderStubs;

/// <summary>
/// The Gemini API (generativelanguage, <c>v1beta</c>) as the real Gemini CLI uses it with an API key and
/// <c>GOOGLE_GEMINI_BASE_URL</c>: <c>POST /v1beta/models/{model}:streamGenerateContent?alt=sse</c> for the turn
/// (server-sent events), <c>:generateContent</c> for the CLI's side calls (its model router asks a small model for
/// a JSON complexity score when no model is chosen) and <c>:countTokens</c>. The key arrives in
/// <c>x-goog-api-key</c>; a bearer token or a <c>?key=</c> query is recorded too, so a test sees whatever
/// authenticated a request. Any other path answers 404 with a Google-style JSON error, so a new call the CLI makes
/// shows up in a test instead of being silently answered.
/// </summary>
public sealed class GeminiStub : ProviderStub
{
    /// <summary>
    /// The JSON the stub's model answers a structured-output request with (<c>responseMimeType</c>
    /// <c>application/json</c>): fields for the CLI's routers (numeric and model-choice classifiers) and its
    /// next-speaker check, which ignore what they do not read. Anything else would make the router retry with backoff.
    /// </summary>
    private const string StructuredAnswer =
        """{"complexity_reasoning":"A short direct request.","complexity_score":10,"reasoning":"A short direct request.","model_choice":"flash","next_speaker":"user"}""";

    /// <summary>When set, every model call (generate, stream, count) answers this HTTP status with a JSON error.</summary>
    public int? FailWithStatus { get; set; }

    protected override void MapRoutes(WebApplication app)
    {
        app.MapPost("/{version}/models/{target}", HandleModelCallAsync);
        app.MapFallback(context => WriteErrorAsync(context, StatusCodes.Status404NotFound, $"The stub has no {context.Request.Method} {context.Request.Path}."));
    }

    private async Task HandleModelCallAsync(HttpContext context, string target)
    {
        RecordCredential(CredentialOf(context.Request));

        // The method follows a colon in the last segment: "gemini-2.5-pro:streamGenerateContent".
        int colon = target.LastIndexOf(':');
        string model = colon > 0 ? target[..colon] : target;
        string method = colon > 0 ? target[(colon + 1)..] : "";
        if (FailWithStatus is { } status)
        {
            await WriteErrorAsync(context, status, $"The stub fails every model call with {status}.");
            return;
        }

        JsonNode? request = await ReadJsonAsync(context.Request);
        switch (method)
        {
            case "streamGenerateContent":
                await WriteStreamAsync(context, Response(model, Answer, request));
                break;
            case "generateContent":
                bool structured = request?["generationConfig"]?["responseMimeType"]?.GetValue<string>() == "application/json";
                await WriteJsonAsync(context, StatusCodes.Status200OK, Response(model, structured ? StructuredAnswer : Answer, request));
                break;
            case "countTokens":
                await WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject { ["totalTokens"] = PromptTokens(request) });
                break;
            default:
                await WriteErrorAsync(context, StatusCodes.Status404NotFound, $"The stub has no model method '{method}'.");
                break;
        }
    }

    /// <summary>The API key header, a <c>?key=</c> query, or a bearer token: whichever the request carried.</summary>
    private static string? CredentialOf(HttpRequest request)
    {
        if (request.Headers["x-goog-api-key"].ToString() is { Length: > 0 } key)
        {
            return key;
        }

        if (request.Query["key"].ToString() is { Length: > 0 } queryKey)
        {
            return queryKey;
        }

        string authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
    }

    /// <summary>One <c>GenerateContentResponse</c>: a single candidate with the whole text, and usage for it.</summary>
    private static JsonObject Response(string model, string text, JsonNode? request)
    {
        int promptTokens = PromptTokens(request);
        int answerTokens = Math.Max(1, text.Length / 4);
        return new JsonObject
        {
            ["candidates"] = new JsonArray(new JsonObject
            {
                ["content"] = new JsonObject
                {
                    ["role"] = "model",
                    ["parts"] = new JsonArray(new JsonObject { ["text"] = text }),
                },
                ["finishReason"] = "STOP",
                ["index"] = 0,
            }),
            ["usageMetadata"] = new JsonObject
            {
                ["promptTokenCount"] = promptTokens,
                ["candidatesTokenCount"] = answerTokens,
                ["totalTokenCount"] = promptTokens + answerTokens,
            },
            ["modelVersion"] = model,
            ["responseId"] = "stub-" + Guid.NewGuid().ToString("N")[..12],
        };
    }

    /// <summary>A plausible prompt size: about four characters a token over the request's contents.</summary>
    private static int PromptTokens(JsonNode? request) =>
        Math.Max(1, (request?["contents"]?.ToJsonString().Length ?? 4) / 4);

    /// <summary>What <c>alt=sse</c> asks for: each response object as one <c>data:</c> event.</summary>
    private static async Task WriteStreamAsync(HttpContext context, JsonObject response)
    {
        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync("data: " + response.ToJsonString() + "\r\n\r\n");
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpRequest request)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Task WriteJsonAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        return context.Response.WriteAsync(body.ToJsonString());
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        string code = status switch
        {
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            429 => "RESOURCE_EXHAUSTED",
            _ => "INTERNAL",
        };
        return WriteJsonAsync(context, status, new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = status, ["message"] = message, ["status"] = code },
        });
    }
}
