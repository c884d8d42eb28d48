using System.Text;
using System.Text.Json;

namespace Polydev.Agent;

/// <summary>What the agent read from a CLI's credential file: enough for the user to tell accounts apart and see when the token lapses.</summary>
internal sealed record CredentialSummary(string? Account, DateTimeOffset? ExpiresAt, bool Refreshable);

/// <summary>
/// Checks that a CLI's credential file has the shape that CLI writes after its own login, and reads its account and
/// expiry. A file of another shape is refused, never sealed: it would fail the user's next run with a puzzling error.
/// Checked against the real CLIs (docs/login-sessions.md, "Connecting an account").
/// </summary>
internal static class CredentialFileShape
{
    /// <summary>The summary of a valid file, or null with <paramref name="problem"/> saying (without quoting it) what is wrong.</summary>
    /// <param name="home">The CLI's home, for the account file some CLIs keep beside the credential.</param>
    public static CredentialSummary? Check(string provider, string content, string home, out string? problem)
    {
        problem = null;
        try
        {
            using JsonDocument document = JsonDocument.Parse(content);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "it is not a JSON object";
                return null;
            }

            return provider switch
            {
                "anthropic" => Claude(root, home, out problem),
                "openai" => Codex(root, out problem),
                "google" => Gemini(root, home, out problem),
                _ => Fail($"no credential shape is known for {provider}", out problem),
            };
        }
        catch (JsonException)
        {
            problem = "it is not JSON";
            return null;
        }
    }

    /// <summary>Claude Code: <c>{"claudeAiOauth":{"accessToken","refreshToken","expiresAt" (ms),"scopes",…}}</c>; the account is in <c>~/.claude.json</c>.</summary>
    private static CredentialSummary? Claude(JsonElement root, string home, out string? problem)
    {
        if (!root.TryGetProperty("claudeAiOauth", out JsonElement oauth) || oauth.ValueKind != JsonValueKind.Object)
        {
            return Fail("it has no claudeAiOauth object", out problem);
        }

        if (Text(oauth, "accessToken") is null)
        {
            return Fail("claudeAiOauth has no accessToken", out problem);
        }

        problem = null;
        DateTimeOffset? expires = oauth.TryGetProperty("expiresAt", out JsonElement at) && at.TryGetInt64(out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        string? account = null;
        try
        {
            string profile = Path.Combine(home, ".claude.json");
            if (File.Exists(profile))
            {
                using JsonDocument config = JsonDocument.Parse(File.ReadAllText(profile));
                if (config.RootElement.ValueKind == JsonValueKind.Object && config.RootElement.TryGetProperty("oauthAccount", out JsonElement who) && who.ValueKind == JsonValueKind.Object)
                {
                    account = Text(who, "emailAddress") ?? Text(who, "accountUuid");
                }
            }
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            // The account is for display only.
        }

        return new CredentialSummary(account, expires, Text(oauth, "refreshToken") is not null);
    }

    /// <summary>Codex: <c>{"tokens":{"id_token","access_token","refresh_token","account_id"},"last_refresh",…}</c>; account and expiry from the JWTs.</summary>
    private static CredentialSummary? Codex(JsonElement root, out string? problem)
    {
        if (!root.TryGetProperty("tokens", out JsonElement tokens) || tokens.ValueKind != JsonValueKind.Object)
        {
            return Fail("it has no tokens object (an API-key login is not an account login)", out problem);
        }

        string? access = Text(tokens, "access_token");
        string? id = Text(tokens, "id_token");
        if (access is null || id is null)
        {
            return Fail("tokens lacks access_token or id_token", out problem);
        }

        problem = null;
        string? account = JwtClaim(id, "email") ?? Text(tokens, "account_id");
        DateTimeOffset? expires = long.TryParse(JwtClaim(access, "exp"), out long exp) ? DateTimeOffset.FromUnixTimeSeconds(exp) : null;
        return new CredentialSummary(account, expires, Text(tokens, "refresh_token") is not null);
    }

    /// <summary>Gemini CLI: <c>{"access_token","refresh_token","expiry_date" (ms),"token_type","id_token"?}</c>; the account in <c>~/.gemini/google_accounts.json</c> or the id token.</summary>
    private static CredentialSummary? Gemini(JsonElement root, string home, out string? problem)
    {
        if (Text(root, "access_token") is null && Text(root, "refresh_token") is null)
        {
            return Fail("it has neither access_token nor refresh_token", out problem);
        }

        problem = null;
        DateTimeOffset? expires = root.TryGetProperty("expiry_date", out JsonElement at) && at.TryGetInt64(out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        string? account = Text(root, "id_token") is { } idToken ? JwtClaim(idToken, "email") : null;
        try
        {
            string accounts = Path.Combine(home, ".gemini", "google_accounts.json");
            if (account is null && File.Exists(accounts))
            {
                using JsonDocument config = JsonDocument.Parse(File.ReadAllText(accounts));
                account = config.RootElement.ValueKind == JsonValueKind.Object ? Text(config.RootElement, "active") : null;
            }
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
        }

        return new CredentialSummary(account, expires, Text(root, "refresh_token") is not null);
    }

    private static CredentialSummary? Fail(string why, out string? problem)
    {
        problem = why;
        return null;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    /// <summary>One claim of a JWT's payload as text (not verified: the agent only shows it; the provider checks the token).</summary>
    private static string? JwtClaim(string jwt, string claim)
    {
        string[] parts = jwt.Split('.');
        if (parts.Length < 2)
        {
            return null;
        }

        try
        {
            string payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using JsonDocument document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty(claim, out JsonElement value))
            {
                return null;
            }

            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            };
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            return null;
        }
    }
}
