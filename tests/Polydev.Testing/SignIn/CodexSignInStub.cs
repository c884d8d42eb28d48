using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Polydev.Testing.SignIn;

/// <summary>
/// OpenAI's ChatGPT sign-in and backend as Codex CLI 0.171.0's <c>codex login</c> and <c>codex exec</c> use them
/// (checked against the real CLI; docs/login-sessions.md, "Connecting an account"): the authorize page on auth.openai.com (PKCE S256, a
/// <c>http://127.0.0.1:port/auth/callback</c> redirect; the CLI serves the success page itself); its token endpoint
/// (the form <c>authorization_code</c> grant, the form token exchange for an API key, which this double refuses as for
/// an account without an API organization and the login survives, and the JSON refresh grant, rotating); JWTs whose
/// claims the CLI reads unverified (the id token's email and ChatGPT account, the access token's <c>exp</c>, which drives
/// its refresh); and chatgpt.com's backend: the account check a run cannot do without, the Responses endpoint over HTTP
/// (426 to the WebSocket it tries first, so it falls back at once), answered only for a live access token and the
/// account's id (401 otherwise, which makes the CLI reload its file, then refresh, and retry), and the metrics sink.
/// </summary>
public sealed class CodexSignInStub : SignInStub
{
    public const string ClientId = "app_EMoamEEZ73f0CkXaXp7hrann";

    public const string Issuer = "https://auth.openai.com";

    private const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";

    private const string Expired = """{"error":{"message":"Provided authentication token is expired. Please try signing in again.","type":null,"code":"token_expired","param":null},"status":401}""";

    private readonly ConcurrentQueue<string> _idTokens = new();
    private long _lastExpiry;
    private int _exchanges;

    public CodexSignInStub()
        : base("openai-stub-")
    {
        // Codex reads its access token's exp (a JWT) to refresh before it expires: the token says what the double holds.
        Tokens.AccessTokenFactory = AccessToken;
    }

    /// <summary>Every host the real CLI contacted in the research runs: sign-in, backend, and the metrics sink.</summary>
    public override IReadOnlyList<string> Hosts { get; } = ["auth.openai.com", "chatgpt.com", "api.openai.com", "ab.chatgpt.com"];

    /// <summary>The ChatGPT account (the id token's <c>chatgpt_account_id</c>, which Codex sends as <c>chatgpt-account-id</c>).</summary>
    public string AccountId { get; } = Guid.NewGuid().ToString("D");

    public string UserId { get; } = "user-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public string PlanType { get; set; } = "plus";

    /// <summary>Every id token issued (with each grant), for canary checks beside <see cref="OAuthTokens.Issued"/>.</summary>
    public IReadOnlyCollection<string> IdTokens => _idTokens.ToArray();

    /// <summary>When the newest access token expires (Codex refreshes once it has).</summary>
    public DateTimeOffset LastAccessExpiry => DateTimeOffset.FromUnixTimeSeconds(Interlocked.Read(ref _lastExpiry));

    /// <summary>How many token exchanges for an API key the login asked for (each refused).</summary>
    public int ApiKeyExchanges => _exchanges;

    protected override void MapRoutes(WebApplication app)
    {
        app.MapGet("/oauth/authorize", Authorize).RequireHost("auth.openai.com");
        app.MapPost("/oauth/token", TokenAsync).RequireHost("auth.openai.com");
        app.MapGet("/backend-api/wham/accounts/check", AccountsCheckAsync).RequireHost("chatgpt.com");
        app.MapGet("/backend-api/codex/models", ModelsAsync).RequireHost("chatgpt.com");
        app.MapGet("/backend-api/codex/responses", WebSocketAsync).RequireHost("chatgpt.com");
        app.MapPost("/backend-api/codex/responses", ResponsesAsync).RequireHost("chatgpt.com");
        app.MapPost("/otlp/v1/metrics", context => JsonAsync(context, 200, "{}")).RequireHost("ab.chatgpt.com");
    }

    private Task Authorize(HttpContext context)
    {
        var query = context.Request.Query;
        var redirectUri = query["redirect_uri"].ToString();
        if (query["client_id"] != ClientId || query["response_type"] != "code" || query["code_challenge_method"] != "S256"
            || string.IsNullOrEmpty(query["code_challenge"]) || string.IsNullOrEmpty(query["state"])
            || !Uri.TryCreate(redirectUri, UriKind.Absolute, out var redirect)
            || redirect.Scheme != "http" || redirect.Host != "127.0.0.1" || redirect.AbsolutePath != "/auth/callback")
        {
            return JsonAsync(context, 400, """{"error":"invalid_request","error_description":"Codex's client_id, response_type=code, an S256 code_challenge, a state and a http://127.0.0.1:port/auth/callback redirect_uri are required"}""");
        }

        return ConsentPageAsync(context, ClientId, redirectUri, query["code_challenge"], query["state"], "Codex");
    }

    private async Task TokenAsync(HttpContext context)
    {
        var p = await ReadParametersAsync(context.Request);
        if (p.GetValueOrDefault("client_id") != ClientId)
        {
            await JsonAsync(context, 401, """{"error":"invalid_client","error_description":"unknown client_id"}""");
            return;
        }

        Grant? grant;
        switch (p.GetValueOrDefault("grant_type"))
        {
            case "authorization_code":
                grant = Tokens.Redeem(p.GetValueOrDefault("code"), ClientId, p.GetValueOrDefault("redirect_uri"), p.GetValueOrDefault("code_verifier"), out var refusal);
                if (grant is null)
                {
                    await JsonAsync(context, 400, new JsonObject { ["error"] = "invalid_grant", ["error_description"] = refusal }.ToJsonString());
                    return;
                }

                break;
            case TokenExchange:
                // After the code, the login asks for an API key for the account's platform organization. An account without
                // one is refused; the login stores its tokens anyway ("OPENAI_API_KEY": null), the case this double keeps.
                Interlocked.Increment(ref _exchanges);
                var known = _idTokens.Contains(p.GetValueOrDefault("subject_token") ?? "");
                await JsonAsync(context, known ? 400 : 401, known
                    ? """{"error":{"message":"This account has no API organization.","type":"invalid_request_error","param":null,"code":"no_organization"}}"""
                    : """{"error":{"message":"Invalid subject_token.","type":"invalid_request_error","param":"subject_token","code":"invalid_subject_token"}}""");
                return;
            case "refresh_token":
                grant = Tokens.Refresh(p.GetValueOrDefault("refresh_token"));
                if (grant is null)
                {
                    // What OpenAI answers for a refresh token an earlier refresh retired; Codex takes it as "sign in again".
                    await JsonAsync(context, 401, """{"error":{"message":"Your refresh token has already been used to generate a new access token. Please try signing in again.","type":"invalid_request_error","param":null,"code":"refresh_token_reused"}}""");
                    return;
                }

                break;
            default:
                await JsonAsync(context, 400, """{"error":"unsupported_grant_type"}""");
                return;
        }

        await JsonAsync(context, 200, new JsonObject
        {
            ["id_token"] = IdToken(),
            ["access_token"] = grant.AccessToken,
            ["refresh_token"] = grant.RefreshToken,
            ["expires_in"] = grant.ExpiresIn,
            ["token_type"] = "Bearer",
            ["scope"] = "openid profile email offline_access api.connectors.read api.connectors.invoke",
        }.ToJsonString());
    }

    /// <summary>The workspace routing every run asks for first (a failure is fatal); the origin it names is where Responses go.</summary>
    private async Task AccountsCheckAsync(HttpContext context)
    {
        if (!await AuthorizeModelCallAsync(context, Expired, answers: false) || !await AccountHeaderAsync(context))
        {
            return;
        }

        await JsonAsync(context, 200, new JsonObject
        {
            ["accounts"] = new JsonArray(new JsonObject
            {
                ["id"] = AccountId,
                ["name"] = null,
                ["structure"] = "personal",
                ["plan_type"] = PlanType,
                ["workspace_backend_origin"] = "https://chatgpt.com",
                ["account_routing_override"] = "NO_CONSTRAINT",
            }),
        }.ToJsonString());
    }

    /// <summary>
    /// The model catalog every run asks for first. Empty: Codex keeps the catalog it carries (the real one is 660 KB of
    /// model settings no run here needs); a 404 would only cost four retries and as many ERROR lines on stderr.
    /// </summary>
    private async Task ModelsAsync(HttpContext context)
    {
        if (!await AuthorizeModelCallAsync(context, Expired, answers: false) || !await AccountHeaderAsync(context))
        {
            return;
        }

        await JsonAsync(context, 200, """{"models":[]}""");
    }

    /// <summary>Codex tries a Responses WebSocket first; 426 makes it fall back to HTTP at once (404 would retry five times).</summary>
    private static Task WebSocketAsync(HttpContext context) =>
        JsonAsync(context, context.Request.Headers.Upgrade.Count > 0 ? 426 : 405, """{"error":{"message":"The double answers Responses over HTTP only.","type":"invalid_request_error"}}""");

    /// <summary>
    /// One model answer as Server-Sent Events. The request body is zstd-compressed JSON (the built-in provider compresses
    /// it); the double reads no part of it, the answer does not depend on the prompt.
    /// </summary>
    private async Task ResponsesAsync(HttpContext context)
    {
        if (!await AuthorizeModelCallAsync(context, Expired) || !await AccountHeaderAsync(context))
        {
            return;
        }

        var response = context.Response;
        response.ContentType = "text/event-stream";
        var id = "resp_stub" + Guid.NewGuid().ToString("N")[..24];
        var item = "msg_stub" + Guid.NewGuid().ToString("N")[..24];
        await EventAsync(response, "response.created", new JsonObject { ["response"] = new JsonObject { ["id"] = id, ["status"] = "in_progress" } });
        await EventAsync(response, "response.output_item.added", new JsonObject
        {
            ["output_index"] = 0,
            ["item"] = new JsonObject { ["type"] = "message", ["id"] = item, ["role"] = "assistant", ["status"] = "in_progress", ["content"] = new JsonArray() },
        });
        await EventAsync(response, "response.output_text.delta", new JsonObject { ["output_index"] = 0, ["content_index"] = 0, ["item_id"] = item, ["delta"] = Answer });
        await EventAsync(response, "response.output_item.done", new JsonObject
        {
            ["output_index"] = 0,
            ["item"] = new JsonObject
            {
                ["type"] = "message", ["id"] = item, ["role"] = "assistant", ["status"] = "completed",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = Answer, ["annotations"] = new JsonArray() }),
            },
        });
        await EventAsync(response, "response.completed", new JsonObject
        {
            ["response"] = new JsonObject
            {
                ["id"] = id, ["status"] = "completed", ["output"] = new JsonArray(),
                ["usage"] = new JsonObject
                {
                    ["input_tokens"] = 12, ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = 0 },
                    ["output_tokens"] = 8, ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
                    ["total_tokens"] = 20,
                },
            },
        });
    }

    /// <summary>The backend serves the account the token is for: a call without its id is refused.</summary>
    private async Task<bool> AccountHeaderAsync(HttpContext context)
    {
        if (context.Request.Headers["chatgpt-account-id"] == AccountId)
        {
            return true;
        }

        await JsonAsync(context, 403, """{"detail":"chatgpt-account-id is missing or not this token's account."}""");
        return false;
    }

    private static async Task EventAsync(HttpResponse response, string type, JsonObject data)
    {
        data["type"] = type;
        await response.WriteAsync($"event: {type}\ndata: {data.ToJsonString()}\n\n");
        await response.Body.FlushAsync();
    }

    private JsonObject AuthClaims(bool forIdToken)
    {
        var claims = new JsonObject
        {
            ["chatgpt_account_id"] = AccountId,
            ["chatgpt_plan_type"] = PlanType,
            ["chatgpt_user_id"] = UserId,
            ["user_id"] = UserId,
        };
        if (forIdToken)
        {
            // No organization to set up: the success page would send the browser to platform.openai.com otherwise.
            claims["completed_platform_onboarding"] = true;
            claims["is_org_owner"] = false;
            claims["organizations"] = new JsonArray();
        }

        return claims;
    }

    private string IdToken()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var token = UnsignedJwt(new JsonObject
        {
            ["iss"] = Issuer, ["aud"] = new JsonArray(ClientId), ["sub"] = UserId,
            ["email"] = Email, ["email_verified"] = true,
            ["iat"] = now, ["auth_time"] = now, ["exp"] = now + 3600,
            ["jti"] = Guid.NewGuid().ToString("D"),
            ["https://api.openai.com/auth"] = AuthClaims(forIdToken: true),
        }.ToJsonString());
        _idTokens.Enqueue(token);
        return token;
    }

    private string AccessToken(DateTimeOffset expires)
    {
        var exp = expires.ToUnixTimeSeconds();
        long last;
        do
        {
            last = Interlocked.Read(ref _lastExpiry);
        }
        while (exp > last && Interlocked.CompareExchange(ref _lastExpiry, exp, last) != last);

        return UnsignedJwt(new JsonObject
        {
            ["iss"] = Issuer, ["aud"] = new JsonArray("https://api.openai.com/v1"), ["sub"] = UserId, ["client_id"] = ClientId,
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["nbf"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["exp"] = exp,
            ["jti"] = Guid.NewGuid().ToString("D"),
            ["scp"] = new JsonArray("openid", "profile", "email", "offline_access"),
            ["https://api.openai.com/profile"] = new JsonObject { ["email"] = Email, ["email_verified"] = true },
            ["https://api.openai.com/auth"] = AuthClaims(forIdToken: false),
        }.ToJsonString());
    }
}
