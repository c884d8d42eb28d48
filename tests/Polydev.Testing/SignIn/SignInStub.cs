using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Polydev.Testing.ProviderStubs;

namespace Polydev.Testing.SignIn;

/// <summary>
/// A local HTTPS double of one provider's sign-in and API hosts (no provider is reachable here): one Kestrel server on
/// loopback with a certificate for all of the provider's real host names from a throw-away CA, answering by host. The
/// egress proxy's <c>Egress:HostOverrides</c> sends those names here, and a login image that trusts the CA lets the real
/// CLI and the real Chromium complete the real flow against it: a consent page with one button, a token endpoint that
/// checks the code and the PKCE verifier, refresh with rotation, the account calls, and a model answer that checks the
/// access token.
/// </summary>
public abstract class SignInStub : IAsyncDisposable
{
    private readonly ConcurrentQueue<StubRequest> _requests = new();
    private readonly ConcurrentQueue<string> _bearers = new();
    private WebApplication? _app;
    private string? _directory;

    protected SignInStub(string tokenPrefix) => Tokens = new OAuthTokens(tokenPrefix);

    /// <summary>The provider's real host names this double answers for.</summary>
    public abstract IReadOnlyList<string> Hosts { get; }

    public OAuthTokens Tokens { get; }

    /// <summary>The account the consent page signs in.</summary>
    public string Email { get; set; } = "alice@example.com";

    /// <summary>What the model answers.</summary>
    public string Answer { get; set; } = "Hello from the sign-in stub.";

    public int Port { get; private set; }

    public X509Certificate2 Authority { get; private set; } = null!;

    public string AuthorityPem => Authority.ExportCertificatePem();

    public string AuthorityPemPath { get; private set; } = null!;

    /// <summary>Every request: host, method, path and query.</summary>
    public IReadOnlyList<StubRequest> Requests => _requests.ToArray();

    /// <summary>Every bearer token a model call carried, valid or not, in arrival order.</summary>
    public IReadOnlyCollection<string> ModelBearers => _bearers.ToArray();

    /// <summary>How many model calls were answered (a valid token) and refused (401).</summary>
    public int Answered => _answered;

    public int Refused => _refused;

    private int _answered;
    private int _refused;

    /// <summary>The server's settings that route the provider's hosts here (with the guard a production server needs).</summary>
    public IReadOnlyDictionary<string, string?> EgressSettings()
    {
        var settings = new Dictionary<string, string?> { ["POLYDEV_EGRESS__ALLOWHOSTOVERRIDES"] = "true" };
        foreach (var host in Hosts)
        {
            settings[$"POLYDEV_EGRESS__HOSTOVERRIDES__{host}"] = $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";
        }

        return settings;
    }

    public async Task StartAsync()
    {
        _directory = Directory.CreateTempSubdirectory("polydev-signin-").FullName;
        var (authority, leaf) = TestCertificates.Create(Hosts);
        Authority = authority;
        AuthorityPemPath = Path.Combine(_directory, "ca.pem");
        await File.WriteAllTextAsync(AuthorityPemPath, AuthorityPem);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(leaf);
            });
        });
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            _requests.Enqueue(new StubRequest(context.Request.Method, context.Request.Host.Host + context.Request.Path + context.Request.QueryString));
            await next(context);
        });
        MapRoutes(app);
        app.MapFallback(context => JsonAsync(context, 404, $$"""{"error":"not_found","error_description":"The stub has no {{context.Request.Method}} {{context.Request.Host.Host}}{{context.Request.Path}}."}"""));
        await app.StartAsync();
        _app = app;
        Port = new Uri(app.Urls.Single()).Port;
    }

    /// <summary>Maps the provider's endpoints, each with <c>RequireHost</c> for the host it lives on.</summary>
    protected abstract void MapRoutes(WebApplication app);

    /// <summary>
    /// The consent page: the whole viewport is one "Allow" link to the client's redirect URI with a fresh code, so a click
    /// anywhere on the remote screen (through the stream, as a user would) consents. Nothing happens without the click.
    /// </summary>
    protected Task ConsentPageAsync(HttpContext context, string clientId, string redirectUri, string? codeChallenge, string? state, string product)
    {
        var code = Tokens.IssueCode(clientId, redirectUri, codeChallenge);
        var target = redirectUri + (redirectUri.Contains('?') ? "&" : "?") + "code=" + Uri.EscapeDataString(code) + (state is null ? "" : "&state=" + Uri.EscapeDataString(state));
        var html = $$"""
            <!doctype html><html><head><meta charset="utf-8"><title>Sign in to {{WebUtility.HtmlEncode(product)}}</title>
            <style>html,body{margin:0;height:100%;font:24px system-ui}a{position:fixed;inset:0;display:flex;align-items:center;justify-content:center;background:#1a7f37;color:#fff;text-decoration:none}</style>
            </head><body><a id="allow" href="{{WebUtility.HtmlEncode(target)}}">Allow {{WebUtility.HtmlEncode(product)}} to use {{WebUtility.HtmlEncode(Email)}}</a></body></html>
            """;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(html);
    }

    /// <summary>A plain page (the provider's "you are signed in" page the CLI's callback redirects to).</summary>
    protected static Task PageAsync(HttpContext context, string text)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync($"<!doctype html><title>{WebUtility.HtmlEncode(text)}</title><body style=\"font:20px system-ui;margin:3em\">{WebUtility.HtmlEncode(text)}</body>");
    }

    /// <summary>Checks a model call's bearer token: recorded, then true when valid; false after answering 401 with <paramref name="unauthorized"/>.</summary>
    /// <param name="answers">
    /// Whether a valid call counts in <see cref="Answered"/>: false for an API's calls around the model's answer (Code
    /// Assist's setup, quota and metrics calls), which carry the same token but answer no prompt.
    /// </param>
    protected async Task<bool> AuthorizeModelCallAsync(HttpContext context, string unauthorized, bool answers = true)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (token is not null)
        {
            _bearers.Enqueue(token);
        }

        if (Tokens.IsValid(token))
        {
            if (answers)
            {
                Interlocked.Increment(ref _answered);
            }

            return true;
        }

        Interlocked.Increment(ref _refused);
        await JsonAsync(context, 401, unauthorized);
        return false;
    }

    protected static async Task JsonAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }

    /// <summary>A request's form or JSON body as name → value (token endpoints take either).</summary>
    protected static async Task<Dictionary<string, string?>> ReadParametersAsync(HttpRequest request)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            return form.ToDictionary(f => f.Key, f => (string?)f.Value.ToString());
        }

        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var parameters = new Dictionary<string, string?>();
        if (body.Length > 0 && System.Text.Json.Nodes.JsonNode.Parse(body) is System.Text.Json.Nodes.JsonObject json)
        {
            foreach (var (name, value) in json)
            {
                parameters[name] = value is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out string? text) ? text : value?.ToJsonString();
            }
        }

        return parameters;
    }

    /// <summary>
    /// A JWT with <paramref name="claimsJson"/> and a signature nobody checks: the CLIs read their tokens' claims without
    /// verifying them (Codex does insist on three non-empty segments).
    /// </summary>
    protected static string UnsignedJwt(string claimsJson) =>
        Base64Url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}") + "." + Base64Url(claimsJson) + "." + Base64Url("stub-signature");

    private static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }

        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
            _directory = null;
        }

        GC.SuppressFinalize(this);
    }
}
