using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Polydev.Testing.SignIn;

/// <summary>
/// Anthropic's sign-in as Claude Code 2.1.332's <c>claude auth login</c> uses it (checked against the real CLI): the
/// authorize page on claude.com (PKCE S256, redirect to its <c>localhost</c> callback), the JSON token endpoint on
/// platform.claude.com (both grants; the granted scope must hold <c>user:inference</c>), the success page the callback
/// redirects the browser to, the profile and roles calls on api.anthropic.com, and Messages answered only for a live
/// OAuth access token (401 otherwise, which makes the CLI refresh and retry).
/// </summary>
public sealed class ClaudeSignInStub() : SignInStub("sk-ant-stub-")
{
    public const string ClientId = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";

    private const string Scope = "user:inference user:profile user:sessions:claude_code user:mcp_servers user:file_upload";

    public override IReadOnlyList<string> Hosts { get; } = ["claude.com", "claude.ai", "platform.claude.com", "api.anthropic.com"];

    public string AccountUuid { get; } = Guid.NewGuid().ToString("D");

    public string OrganizationUuid { get; } = Guid.NewGuid().ToString("D");

    protected override void MapRoutes(WebApplication app)
    {
        app.MapGet("/cai/oauth/authorize", Authorize).RequireHost("claude.com");
        app.MapGet("/oauth/authorize", Authorize).RequireHost("claude.ai", "platform.claude.com");
        app.MapPost("/v1/oauth/token", TokenAsync).RequireHost("platform.claude.com");
        app.MapGet("/oauth/code/success", context => PageAsync(context, "Claude Code is signed in. You can close this window.")).RequireHost("platform.claude.com");
        app.MapGet("/api/oauth/profile", ProfileAsync).RequireHost("api.anthropic.com");
        app.MapGet("/api/oauth/claude_cli/roles", context => JsonAsync(context, 200, """{"organization_role":"admin","workspace_role":null,"organization_name":"Stub Org"}""")).RequireHost("api.anthropic.com");
        app.MapGet("/api/organization/claude_code_first_token_date", context => JsonAsync(context, 200, """{"first_token_date":null}""")).RequireHost("api.anthropic.com");
        app.MapPost("/v1/messages", MessagesAsync).RequireHost("api.anthropic.com");
    }

    private Task Authorize(HttpContext context)
    {
        var query = context.Request.Query;
        if (query["client_id"] != ClientId || query["code_challenge_method"] != "S256" || string.IsNullOrEmpty(query["redirect_uri"]))
        {
            return JsonAsync(context, 400, """{"error":"invalid_request","error_description":"client_id, redirect_uri and an S256 code_challenge are required"}""");
        }

        return ConsentPageAsync(context, ClientId, query["redirect_uri"]!, query["code_challenge"], query["state"], "Claude Code");
    }

    private async Task TokenAsync(HttpContext context)
    {
        var p = await ReadParametersAsync(context.Request);
        Grant? grant;
        string? refusal = null;
        switch (p.GetValueOrDefault("grant_type"))
        {
            case "authorization_code":
                grant = Tokens.Redeem(p.GetValueOrDefault("code"), p.GetValueOrDefault("client_id"), p.GetValueOrDefault("redirect_uri"), p.GetValueOrDefault("code_verifier"), out refusal);
                break;
            case "refresh_token":
                grant = p.GetValueOrDefault("client_id") == ClientId ? Tokens.Refresh(p.GetValueOrDefault("refresh_token")) : null;
                refusal = "refresh token unknown or retired";
                break;
            default:
                await JsonAsync(context, 400, """{"error":"unsupported_grant_type"}""");
                return;
        }

        if (grant is null)
        {
            await JsonAsync(context, 400, new JsonObject { ["error"] = "invalid_grant", ["error_description"] = refusal }.ToJsonString());
            return;
        }

        await JsonAsync(context, 200, new JsonObject
        {
            ["token_type"] = "Bearer",
            ["access_token"] = grant.AccessToken,
            ["refresh_token"] = grant.RefreshToken,
            ["expires_in"] = grant.ExpiresIn,
            ["scope"] = Scope,
            ["account"] = new JsonObject { ["uuid"] = AccountUuid, ["email_address"] = Email },
            ["organization"] = new JsonObject { ["uuid"] = OrganizationUuid, ["name"] = "Stub Org" },
        }.ToJsonString());
    }

    private Task ProfileAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!Tokens.IsValid(header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : null))
        {
            return JsonAsync(context, 401, """{"type":"error","error":{"type":"authentication_error","message":"invalid token"}}""");
        }

        context.Response.Headers["request-id"] = "req_stub" + Guid.NewGuid().ToString("N")[..20];
        return JsonAsync(context, 200, new JsonObject
        {
            ["account"] = new JsonObject { ["uuid"] = AccountUuid, ["email"] = Email, ["display_name"] = "Alice", ["full_name"] = "Alice Stub" },
            ["organization"] = new JsonObject { ["uuid"] = OrganizationUuid, ["name"] = "Stub Org", ["organization_type"] = "claude_max", ["rate_limit_tier"] = "default_claude_max_20x", ["billing_type"] = "stripe_subscription" },
        }.ToJsonString());
    }

    private async Task MessagesAsync(HttpContext context)
    {
        if (!await AuthorizeModelCallAsync(context, """{"type":"error","error":{"type":"authentication_error","message":"OAuth token has expired or is not valid."}}"""))
        {
            return;
        }

        using var request = await JsonDocument.ParseAsync(context.Request.Body);
        var model = request.RootElement.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "claude-stub";
        var response = context.Response;
        response.ContentType = "text/event-stream";
        var usage = new JsonObject { ["input_tokens"] = 12, ["output_tokens"] = 1 };
        await EventAsync(response, "message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = new JsonObject
            {
                ["id"] = "msg_stub" + Guid.NewGuid().ToString("N")[..20], ["type"] = "message", ["role"] = "assistant", ["model"] = model,
                ["content"] = new JsonArray(), ["stop_reason"] = null, ["stop_sequence"] = null, ["usage"] = usage,
            },
        });
        await EventAsync(response, "content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } });
        await EventAsync(response, "content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = Answer } });
        await EventAsync(response, "content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = 0 });
        await EventAsync(response, "message_delta", new JsonObject { ["type"] = "message_delta", ["delta"] = new JsonObject { ["stop_reason"] = "end_turn", ["stop_sequence"] = null }, ["usage"] = new JsonObject { ["output_tokens"] = 8 } });
        await EventAsync(response, "message_stop", new JsonObject { ["type"] = "message_stop" });
    }

    private static async Task EventAsync(HttpResponse response, string name, JsonObject data)
    {
        await response.WriteAsync($"event: {name}\ndata: {data.ToJsonString()}\n\n");
        await response.Body.FlushAsync();
    }
}
