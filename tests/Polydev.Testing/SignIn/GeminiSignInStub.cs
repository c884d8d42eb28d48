using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Polydev.Testing.SignIn;

/// <summary>
/// Google's sign-in and Code Assist as Gemini CLI 0.61.0's "Login with Google" (<c>oauth-personal</c>) uses them
/// (checked against the real CLI; docs/login-sessions.md, "Connecting an account"): the authorize page on accounts.google.com (the
/// loopback web flow: a <c>http://127.0.0.1:port/oauth2callback</c> redirect, <c>access_type=offline</c>, no PKCE); the
/// form token endpoint on oauth2.googleapis.com (both grants, the installed app's client secret in the body; refresh
/// tokens do not rotate, as Google's do not, and the CLI keeps the old one anyway) and its tokeninfo, which the CLI asks
/// at every start with cached credentials (a refused token sends it back to the browser login); the account on
/// www.googleapis.com; the success and failure pages on developers.google.com the callback redirects the browser to;
/// Code Assist on cloudcode-pa.googleapis.com (a new account is onboarded to the free tier once, then has it), every
/// call answered only for a live access token, and only <c>streamGenerateContent</c> counting as an answer; and the
/// usage-statistics sink on play.googleapis.com.
/// </summary>
public sealed class GeminiSignInStub : SignInStub
{
    public const string ClientId = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com";

    public const string ClientSecret = "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";

    /// <summary>The Code Assist project onboarding gives the account.</summary>
    public const string ProjectId = "polydev-stub-project";

    private const string CloudPlatform = "https://www.googleapis.com/auth/cloud-platform";

    private const string Scope = "https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.profile openid";

    private const string Unauthenticated = """{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.","status":"UNAUTHENTICATED"}}""";

    private readonly ConcurrentDictionary<string, DateTimeOffset> _expires = new();
    private int _onboarded;

    public GeminiSignInStub()
        : base("google-stub-")
    {
        // Google keeps a refresh token across refreshes (and Gemini CLI would drop a new one anyway).
        Tokens.RotateRefreshTokens = false;
    }

    public override IReadOnlyList<string> Hosts { get; } =
        ["accounts.google.com", "oauth2.googleapis.com", "www.googleapis.com", "cloudcode-pa.googleapis.com", "play.googleapis.com", "developers.google.com"];

    /// <summary>The account's Google id (the id token's <c>sub</c>).</summary>
    public string Subject { get; } = "1" + string.Concat(RandomNumberGenerator.GetItems<char>("0123456789", 20));

    /// <summary>
    /// How long each Code Assist call takes before it answers (real ones take hundreds of milliseconds). Gemini CLI writes
    /// a refreshed token to its file without waiting for the write and exits right after its last call: against a
    /// double that answers at once, the process can end between the file's truncation and its write and leave it empty
    /// (one run in ten, with 0.61.0 and tokens that refresh before every call). Zero shows that.
    /// </summary>
    public TimeSpan ApiLatency { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Whether the account went through Code Assist's onboarding (the first session's <c>onboardUser</c>).</summary>
    public bool Onboarded => Volatile.Read(ref _onboarded) != 0;

    protected override void MapRoutes(WebApplication app)
    {
        app.MapGet("/o/oauth2/v2/auth", Authorize).RequireHost("accounts.google.com");
        app.MapPost("/token", TokenAsync).RequireHost("oauth2.googleapis.com");
        app.MapPost("/tokeninfo", TokenInfoAsync).RequireHost("oauth2.googleapis.com");
        app.MapGet("/tokeninfo", TokenInfoAsync).RequireHost("oauth2.googleapis.com");
        app.MapGet("/oauth2/v2/userinfo", UserInfoAsync).RequireHost("www.googleapis.com");
        app.MapGet("/gemini-code-assist/auth_success_gemini", context => PageAsync(context, "Gemini Code Assist is signed in. You can close this window.")).RequireHost("developers.google.com");
        app.MapGet("/gemini-code-assist/auth_failure_gemini", context => PageAsync(context, "Gemini Code Assist could not sign in.")).RequireHost("developers.google.com");
        // Code Assist's methods are one path segment each: /v1internal:loadCodeAssist, /v1internal:streamGenerateContent…
        app.MapPost("/{call}", CodeAssistAsync).RequireHost("cloudcode-pa.googleapis.com");
        app.MapGet("/v1internal/operations/{name}", OperationAsync).RequireHost("cloudcode-pa.googleapis.com");
        app.MapPost("/log", context => JsonAsync(context, 200, "{}")).RequireHost("play.googleapis.com");
    }

    private Task Authorize(HttpContext context)
    {
        var query = context.Request.Query;
        var redirectUri = query["redirect_uri"].ToString();
        if (query["client_id"] != ClientId || query["response_type"] != "code"
            || !Uri.TryCreate(redirectUri, UriKind.Absolute, out var redirect) || redirect.Scheme != "http" || redirect.Host != "127.0.0.1")
        {
            return JsonAsync(context, 400, """{"error":"invalid_request","error_description":"Gemini CLI's client_id, response_type=code and a http://127.0.0.1 redirect_uri are required"}""");
        }

        // Without these the real Google would grant no refresh token or no Code Assist access: the stub refuses instead.
        if (query["access_type"] != "offline" || !query["scope"].ToString().Split(' ').Contains(CloudPlatform))
        {
            return JsonAsync(context, 400, """{"error":"invalid_request","error_description":"the stub grants only access_type=offline with the cloud-platform scope"}""");
        }

        return ConsentPageAsync(context, ClientId, redirectUri, query["code_challenge"], query["state"], "Gemini CLI");
    }

    private async Task TokenAsync(HttpContext context)
    {
        var p = await ReadParametersAsync(context.Request);
        if (p.GetValueOrDefault("client_id") != ClientId || p.GetValueOrDefault("client_secret") != ClientSecret)
        {
            await JsonAsync(context, 401, """{"error":"invalid_client","error_description":"Unauthorized"}""");
            return;
        }

        var grantType = p.GetValueOrDefault("grant_type");
        Grant? grant;
        string? refusal = null;
        switch (grantType)
        {
            case "authorization_code":
                grant = Tokens.Redeem(p.GetValueOrDefault("code"), ClientId, p.GetValueOrDefault("redirect_uri"), p.GetValueOrDefault("code_verifier"), out refusal);
                break;
            case "refresh_token":
                grant = Tokens.Refresh(p.GetValueOrDefault("refresh_token"));
                refusal = "Token has been expired or revoked.";
                break;
            default:
                await JsonAsync(context, 400, """{"error":"unsupported_grant_type","error_description":"Invalid grant_type: "}""");
                return;
        }

        if (grant is null)
        {
            await JsonAsync(context, 400, new JsonObject { ["error"] = "invalid_grant", ["error_description"] = refusal }.ToJsonString());
            return;
        }

        _expires[grant.AccessToken] = DateTimeOffset.UtcNow.AddSeconds(grant.ExpiresIn);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var response = new JsonObject
        {
            ["access_token"] = grant.AccessToken,
            ["expires_in"] = grant.ExpiresIn,
            ["scope"] = Scope,
            ["token_type"] = "Bearer",
            ["id_token"] = UnsignedJwt(new JsonObject
            {
                ["iss"] = "https://accounts.google.com",
                ["azp"] = ClientId,
                ["aud"] = ClientId,
                ["sub"] = Subject,
                ["email"] = Email,
                ["email_verified"] = true,
                ["iat"] = now,
                ["exp"] = now + 3600,
            }.ToJsonString()),
        };
        if (grantType == "authorization_code")
        {
            // Google sends a refresh token with the code exchange only; a refresh answers without one.
            response["refresh_token"] = grant.RefreshToken;
        }

        await JsonAsync(context, 200, response.ToJsonString());
    }

    /// <summary>The token's scope and remaining life; the CLI reads both (<c>scope.split(" ")</c>) and starts over at the browser on a 400.</summary>
    private async Task TokenInfoAsync(HttpContext context)
    {
        var token = Bearer(context) ?? context.Request.Query["access_token"].FirstOrDefault();
        if (token is null && HttpMethods.IsPost(context.Request.Method))
        {
            token = (await ReadParametersAsync(context.Request)).GetValueOrDefault("access_token");
        }

        if (!Tokens.IsValid(token))
        {
            await JsonAsync(context, 400, """{"error":"invalid_token","error_description":"Invalid Value"}""");
            return;
        }

        var expires = _expires.TryGetValue(token!, out var at) ? at : DateTimeOffset.UtcNow + Tokens.AccessLifetime;
        var left = Math.Max(0, (long)(expires - DateTimeOffset.UtcNow).TotalSeconds);
        // As Google answers it: numbers as strings.
        await JsonAsync(context, 200, new JsonObject
        {
            ["azp"] = ClientId,
            ["aud"] = ClientId,
            ["sub"] = Subject,
            ["scope"] = Scope,
            ["exp"] = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["expires_in"] = left.ToString(CultureInfo.InvariantCulture),
            ["email"] = Email,
            ["email_verified"] = "true",
            ["access_type"] = "offline",
        }.ToJsonString());
    }

    private Task UserInfoAsync(HttpContext context)
    {
        if (!Tokens.IsValid(Bearer(context)))
        {
            return JsonAsync(context, 401, Unauthenticated);
        }

        return JsonAsync(context, 200, new JsonObject
        {
            ["id"] = Subject,
            ["email"] = Email,
            ["verified_email"] = true,
            ["name"] = "Alice Stub",
            ["given_name"] = "Alice",
            ["family_name"] = "Stub",
            ["picture"] = "https://lh3.googleusercontent.com/a/stub",
        }.ToJsonString());
    }

    private async Task CodeAssistAsync(HttpContext context)
    {
        var call = context.Request.RouteValues["call"] as string ?? "";
        var method = call.StartsWith("v1internal:", StringComparison.Ordinal) ? call["v1internal:".Length..] : null;
        var known = method is "loadCodeAssist" or "onboardUser" or "retrieveUserQuota" or "listExperiments" or "fetchAdminControls"
            or "generateContent" or "streamGenerateContent" or "countTokens" or "recordCodeAssistMetrics";
        if (!known)
        {
            await JsonAsync(context, 404, """{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}""");
            return;
        }

        // Every Code Assist call carries the access token; only the streamed turn answers the prompt.
        if (!await AuthorizeModelCallAsync(context, Unauthenticated, answers: method == "streamGenerateContent"))
        {
            return;
        }

        using var body = await ReadJsonAsync(context.Request);
        await Task.Delay(ApiLatency, context.RequestAborted);
        switch (method)
        {
            case "loadCodeAssist":
                await LoadCodeAssistAsync(context);
                return;
            case "onboardUser":
                Volatile.Write(ref _onboarded, 1);
                await JsonAsync(context, 200, Onboarding().ToJsonString());
                return;
            case "retrieveUserQuota":
                await JsonAsync(context, 200, """{"buckets":[]}""");
                return;
            case "listExperiments":
                await JsonAsync(context, 200, """{"experimentIds":[],"flags":[]}""");
                return;
            case "fetchAdminControls":
            case "recordCodeAssistMetrics":
                await JsonAsync(context, 200, "{}");
                return;
            case "countTokens":
                await JsonAsync(context, 200, """{"totalTokens":8}""");
                return;
        }

        // generateContent and streamGenerateContent: a turn for the onboarded project.
        if (body?.RootElement is not { ValueKind: JsonValueKind.Object } turn
            || !turn.TryGetProperty("project", out var project) || project.ValueKind != JsonValueKind.String || project.GetString() != ProjectId)
        {
            await JsonAsync(context, 403, $$$"""{"error":{"code":403,"message":"The caller does not have permission (the stub's project is {{{ProjectId}}}).","status":"PERMISSION_DENIED"}}""");
            return;
        }

        var model = turn.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "gemini-2.5-flash";
        if (method == "generateContent")
        {
            // Without --model the CLI's router asks a small model which model should take the turn (JSON by schema).
            await JsonAsync(context, 200, Candidate("""{"reasoning":"A short greeting is a simple task.","model_choice":"flash"}""", model).ToJsonString());
            return;
        }

        if (context.Request.Query["alt"] != "sse")
        {
            await JsonAsync(context, 400, """{"error":{"code":400,"message":"The stub streams with alt=sse only.","status":"INVALID_ARGUMENT"}}""");
            return;
        }

        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync("data: " + Candidate(Answer, model).ToJsonString() + "\r\n\r\n");
        await context.Response.Body.FlushAsync();
    }

    /// <summary>A new account has no tier and must be onboarded; an onboarded one has the free tier and its project.</summary>
    private Task LoadCodeAssistAsync(HttpContext context)
    {
        var freeTier = new JsonObject
        {
            ["id"] = "free-tier",
            ["name"] = "Gemini Code Assist for individuals",
            ["description"] = "Gemini Code Assist for individuals (stub)",
            ["userDefinedCloudaicompanionProject"] = false,
            ["isDefault"] = true,
        };
        if (!Onboarded)
        {
            return JsonAsync(context, 200, new JsonObject { ["allowedTiers"] = new JsonArray(freeTier), ["gcpManaged"] = false }.ToJsonString());
        }

        var current = freeTier.DeepClone().AsObject();
        current["hasOnboardedPreviously"] = true;
        return JsonAsync(context, 200, new JsonObject
        {
            ["currentTier"] = current,
            ["allowedTiers"] = new JsonArray(freeTier),
            ["cloudaicompanionProject"] = ProjectId,
            ["gcpManaged"] = false,
        }.ToJsonString());
    }

    private async Task OperationAsync(HttpContext context)
    {
        if (await AuthorizeModelCallAsync(context, Unauthenticated, answers: false))
        {
            await JsonAsync(context, 200, Onboarding().ToJsonString());
        }
    }

    private static JsonObject Onboarding() => new()
    {
        ["name"] = "operations/stub-onboarding",
        ["done"] = true,
        ["response"] = new JsonObject
        {
            ["@type"] = "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse",
            ["cloudaicompanionProject"] = new JsonObject { ["id"] = ProjectId, ["name"] = ProjectId },
        },
    };

    private static JsonObject Candidate(string text, string model) => new()
    {
        ["response"] = new JsonObject
        {
            ["candidates"] = new JsonArray(new JsonObject
            {
                ["content"] = new JsonObject { ["role"] = "model", ["parts"] = new JsonArray(new JsonObject { ["text"] = text }) },
                ["finishReason"] = "STOP",
                ["index"] = 0,
            }),
            ["usageMetadata"] = new JsonObject { ["promptTokenCount"] = 12, ["candidatesTokenCount"] = 8, ["totalTokenCount"] = 20 },
            ["modelVersion"] = model,
        },
        ["traceId"] = "stub-trace-" + Guid.NewGuid().ToString("N")[..12],
    };

    private static string? Bearer(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }

    private static async Task<JsonDocument?> ReadJsonAsync(HttpRequest request)
    {
        try
        {
            using var reader = new StreamReader(request.Body);
            var text = await reader.ReadToEndAsync();
            return text.Length == 0 ? null : JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
