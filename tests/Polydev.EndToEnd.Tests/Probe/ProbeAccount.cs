using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Probe;

/// <summary>
/// A user the probe acts as: signed up through the real CLI (so every record holds real ciphertext), with the session
/// token the CLI keeps, and the ids of what that user owns once <see cref="ReadOwnedAsync"/> has looked them up.
/// </summary>
public sealed class ProbeAccount : IDisposable
{
    private ProbeAccount(Cli cli, string email, string password, string token)
    {
        Cli = cli;
        Email = email;
        Password = password;
        Token = token;
    }

    public Cli Cli { get; }

    public string Email { get; }

    public string Password { get; }

    /// <summary>The login session token the CLI signed up with.</summary>
    public string Token { get; }

    /// <summary>Path values by name (<c>chatId</c>, <c>messageId</c>) and, for <c>{id}</c>, by the collection the path starts with.</summary>
    public Dictionary<string, string> Ids { get; } = new(StringComparer.Ordinal);

    /// <summary>What this account's own records look like on the wire: valid request bodies are made from them.</summary>
    public Dictionary<string, JsonObject> Records { get; } = new(StringComparer.Ordinal);

    public static async Task<ProbeAccount> SignUpAsync(string serverUrl, string who, string email)
    {
        var cli = new Cli(serverUrl);
        var password = Needles.Canary($"{who}-password");
        await cli.SignupAsync(email, password);
        using var state = JsonDocument.Parse(await File.ReadAllTextAsync(cli.StatePath));
        return new ProbeAccount(cli, email, password, state.RootElement.GetProperty("token").GetString()!);
    }

    public HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, Cli.Server + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return request;
    }

    public async Task<JsonNode> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.SendAsync(Request(HttpMethod.Get, path));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} as the owner: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public async Task<JsonNode> PostJsonAsync(HttpClient http, string path, JsonObject body)
    {
        using var request = Request(HttpMethod.Post, path);
        request.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path} as the owner: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Looks up one of each thing the account owns, for the probe's path values and request bodies.</summary>
    public async Task ReadOwnedAsync(HttpClient http)
    {
        var chat = First(await GetJsonAsync(http, "/api/vault/chats"));
        Ids["chatId"] = Id(chat);
        Records["chat"] = chat;
        var message = First(await GetJsonAsync(http, $"/api/vault/chats/{Ids["chatId"]}/messages"));
        Ids["messageId"] = Id(message);
        Records["message"] = message;
        var credential = First(await GetJsonAsync(http, "/api/vault/credentials"));
        Ids["/api/vault/credentials"] = Id(credential);
        Records["credential"] = credential;
        Ids["/api/executions"] = Id(First(await GetJsonAsync(http, "/api/executions")));
        Ids["/api/tokens"] = Id(First(await GetJsonAsync(http, "/api/tokens")));
        Ids["/api/egress/tokens"] = Id(First(await GetJsonAsync(http, "/api/egress/tokens")));
        Ids["/api/login-sessions"] = Id(First(await GetJsonAsync(http, "/api/login-sessions")));
        Records["account"] = (await GetJsonAsync(http, "/api/account")).AsObject();
        var sessions = Items(await GetJsonAsync(http, "/api/auth/sessions"));
        // A session other than the one the probe acts with, so revoking it as the owner leaves the probe signed in.
        Ids["/api/auth/sessions"] = Id(sessions.First(s => s["current"]?.GetValue<bool>() != true && s["kind"]?.GetValue<string>() == "session"));
    }

    /// <summary>The value for <paramref name="parameter"/> in <paramref name="template"/>, or null when the probe has none.</summary>
    public string? PathValue(string template, string parameter)
    {
        if (Ids.TryGetValue(parameter, out var value))
        {
            return value;
        }

        return parameter == "id" ? Ids.Where(id => template.StartsWith(id.Key + "/", StringComparison.Ordinal)).Select(id => id.Value).FirstOrDefault() : null;
    }

    public void Dispose() => Cli.Dispose();

    private static JsonObject First(JsonNode page) => Items(page).First();

    private static List<JsonObject> Items(JsonNode page) =>
        [.. (page is JsonArray array ? array : page["items"]!.AsArray()).Select(item => item!.AsObject())];

    private static string Id(JsonObject item) => item["id"]!.GetValue<string>();
}
