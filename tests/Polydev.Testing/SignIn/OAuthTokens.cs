using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Polydev.Testing.SignIn;

/// <summary>
/// The token side of a provider's sign-in double: authorization codes bound to their client, redirect URI and PKCE
/// challenge, redeemed once; access tokens that expire; refresh tokens that rotate (each works once, as Anthropic's
/// and OpenAI's do) or stay (as Google's do). Every token it ever issued is kept, for canary checks.
/// </summary>
public sealed class OAuthTokens(string prefix)
{
    private readonly ConcurrentDictionary<string, PendingCode> _codes = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _access = new();
    private readonly ConcurrentDictionary<string, bool> _refresh = new();
    private readonly ConcurrentQueue<string> _issued = new();

    /// <summary>How long an access token lives.</summary>
    public TimeSpan AccessLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Makes an access token from its expiry, for a CLI that reads the token's own <c>exp</c> (Codex's are JWTs); null
    /// issues opaque ones. The token is still registered here, so <see cref="IsValid"/> and <see cref="WasIssued"/> hold.
    /// </summary>
    public Func<DateTimeOffset, string>? AccessTokenFactory { get; set; }

    /// <summary>A refresh grant retires the refresh token it used and issues a new one.</summary>
    public bool RotateRefreshTokens { get; set; } = true;

    /// <summary>Every access and refresh token issued, in order.</summary>
    public IReadOnlyCollection<string> Issued => _issued.ToArray();

    /// <summary>How many refresh grants succeeded, and how many were refused (a retired or unknown refresh token).</summary>
    public int Refreshed => _refreshed;

    public int RefusedRefreshes => _refusedRefreshes;

    private int _refreshed;
    private int _refusedRefreshes;

    /// <summary>A code for the consent page to hand back; null challenge means the client sent no PKCE.</summary>
    public string IssueCode(string clientId, string redirectUri, string? codeChallenge)
    {
        var code = prefix + "code-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        _codes[code] = new PendingCode(clientId, redirectUri, codeChallenge);
        return code;
    }

    /// <summary>Redeems a code once; null with the reason when the client, redirect URI or PKCE verifier does not match.</summary>
    public Grant? Redeem(string? code, string? clientId, string? redirectUri, string? codeVerifier, out string? refusal)
    {
        refusal = null;
        if (code is null || !_codes.TryRemove(code, out var pending))
        {
            refusal = "unknown or already used code";
            return null;
        }

        if (pending.ClientId != clientId || pending.RedirectUri != redirectUri)
        {
            refusal = "client_id or redirect_uri differs from the authorization request";
            return null;
        }

        if (pending.CodeChallenge is { } challenge && (codeVerifier is null || S256(codeVerifier) != challenge))
        {
            refusal = "code_verifier does not match the code_challenge";
            return null;
        }

        return NewGrant();
    }

    /// <summary>A refresh grant; null when the refresh token is unknown or was retired by an earlier rotation.</summary>
    public Grant? Refresh(string? refreshToken)
    {
        if (refreshToken is null || !_refresh.TryGetValue(refreshToken, out var live) || !live)
        {
            Interlocked.Increment(ref _refusedRefreshes);
            return null;
        }

        Interlocked.Increment(ref _refreshed);
        if (!RotateRefreshTokens)
        {
            return NewGrant(refreshToken);
        }

        _refresh[refreshToken] = false;
        return NewGrant();
    }

    /// <summary>
    /// Lets every access token issued so far run out, as if its lifetime had passed: a client then needs its refresh
    /// token, which is what a stale credential's has stopped being.
    /// </summary>
    public void ExpireAccessTokens()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var token in _access.Keys)
        {
            _access[token] = now;
        }
    }

    /// <summary>Whether <paramref name="accessToken"/> was issued here and has not expired.</summary>
    public bool IsValid(string? accessToken) =>
        accessToken is not null && _access.TryGetValue(accessToken, out var expires) && expires > DateTimeOffset.UtcNow;

    /// <summary>Whether <paramref name="accessToken"/> was issued here (expired or not).</summary>
    public bool WasIssued(string? accessToken) => accessToken is not null && _access.ContainsKey(accessToken);

    private Grant NewGrant(string? keepRefresh = null)
    {
        // Whole seconds: what a JWT's exp can say, so the token's own expiry and this one agree.
        var expires = DateTimeOffset.FromUnixTimeSeconds((DateTimeOffset.UtcNow + AccessLifetime).ToUnixTimeSeconds());
        var access = AccessTokenFactory?.Invoke(expires) ?? prefix + "access-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var refresh = keepRefresh ?? prefix + "refresh-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _access[access] = expires;
        _issued.Enqueue(access);
        if (keepRefresh is null)
        {
            _refresh[refresh] = true;
            _issued.Enqueue(refresh);
        }

        return new Grant(access, refresh, (int)AccessLifetime.TotalSeconds);
    }

    private static string S256(string verifier) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record PendingCode(string ClientId, string RedirectUri, string? CodeChallenge);
}

/// <summary>What a token endpoint answers with.</summary>
public sealed record Grant(string AccessToken, string RefreshToken, int ExpiresIn);
