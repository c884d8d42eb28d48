using System.Text.Json.Nodes;

namespace Polydev.Agent.Tests.RealCli;

/// <summary>Gemini CLI's Google login file (<c>oauth_creds.json</c>) as the CLI writes it, valid for another hour.</summary>
internal static class GoogleLoginCredential
{
    public static string File(string accessToken) => new JsonObject
    {
        ["access_token"] = accessToken,
        ["refresh_token"] = AgentHarness.Secret("1//canary"),
        ["scope"] = "https://www.googleapis.com/auth/cloud-platform openid",
        ["token_type"] = "Bearer",
        ["expiry_date"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds(),
    }.ToJsonString();
}
