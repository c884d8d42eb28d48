using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Vault;

/// <summary>
/// Malformed and hostile requests: each gets a 4xx problem with a useful detail, never a 5xx,
/// and nothing already stored changes.
/// </summary>
public sealed class BadInputTests
{
    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Bad_requests_get_problem_responses_and_damage_nothing(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var owner = await TestAccount.SignUpAsync(server);
        using var client = owner.Client(server);
        var chat = owner.NewChat("kept title");
        await client.PostJsonAsync(ApiRoutes.Chats, chat);
        var message = owner.NewMessage("kept message");
        await client.PostJsonAsync(ApiRoutes.Messages(chat.Id), message);
        var credential = owner.NewCredential(Providers.OpenAI, "kept secret");
        await client.PostJsonAsync(ApiRoutes.Credentials, credential);
        var before = await VaultSnapshotAsync(client, chat.Id);

        var validMessage = JsonSerializer.SerializeToNode(owner.NewMessage("x"), PolydevJson.Options)!.AsObject();
        var messagesPath = ApiRoutes.Messages(chat.Id);
        var envelope = validMessage["body"]!["envelope"]!.GetValue<string>();
        var envelopeBytes = Convert.FromBase64String(envelope);

        var cases = new List<(string Name, HttpMethod Method, string Path, HttpContent? Body, HttpStatusCode Expected, string DetailMentions)>
        {
            ("malformed JSON", HttpMethod.Post, messagesPath, Json("{\"id\": "), HttpStatusCode.BadRequest, "JSON"),
            ("not an object", HttpMethod.Post, messagesPath, Json("[1,2,3]"), HttpStatusCode.BadRequest, "JSON"),
            ("empty body", HttpMethod.Post, messagesPath, Json(""), HttpStatusCode.BadRequest, "body"),
            ("wrong type for id", HttpMethod.Post, messagesPath, Json(With(validMessage, "id", JsonValue.Create(42)!)), HttpStatusCode.BadRequest, "$.id"),
            ("wrong type for body", HttpMethod.Post, messagesPath, Json(With(validMessage, "body", JsonValue.Create("text")!)), HttpStatusCode.BadRequest, "$.body"),
            ("missing body", HttpMethod.Post, messagesPath, Json(Without(validMessage, "body")), HttpStatusCode.BadRequest, "body"),
            ("null envelope", HttpMethod.Post, messagesPath, Json(WithEnvelope(validMessage, null)), HttpStatusCode.BadRequest, "envelope"),
            ("invalid base64", HttpMethod.Post, messagesPath, Json(WithEnvelope(validMessage, "not*base64!")), HttpStatusCode.BadRequest, "base64"),
            ("envelope version 2", HttpMethod.Post, messagesPath, Json(WithEnvelope(validMessage, Convert.ToBase64String([2, .. envelopeBytes[1..]]))), HttpStatusCode.BadRequest, "version"),
            ("unknown algorithm", HttpMethod.Post, messagesPath, Json(WithEnvelope(validMessage, Convert.ToBase64String([1, 9, .. envelopeBytes[2..]]))), HttpStatusCode.BadRequest, "algorithm"),
            ("truncated tag", HttpMethod.Post, messagesPath, Json(WithEnvelope(validMessage, Convert.ToBase64String(envelopeBytes[..20]))), HttpStatusCode.BadRequest, "minimum"),
            ("record id mismatch", HttpMethod.Post, messagesPath, Json(With(validMessage, "id", JsonValue.Create(Guid.NewGuid())!)), HttpStatusCode.BadRequest, "recordId"),
            ("wrong kind", HttpMethod.Post, messagesPath, Json(WithKind(validMessage, EnvelopeKinds.CredentialSecret)), HttpStatusCode.BadRequest, "kind"),
            ("empty id", HttpMethod.Post, ApiRoutes.Chats, Json(JsonSerializer.Serialize(new CreateChatRequest(Guid.Empty, owner.Seal(EnvelopeKinds.ChatTitle, Guid.Empty, "t")), PolydevJson.Options)), HttpStatusCode.BadRequest, "id"),
            ("duplicate id", HttpMethod.Post, messagesPath, Json(JsonSerializer.Serialize(message, PolydevJson.Options)), HttpStatusCode.Conflict, "already exists"),
            ("oversized title", HttpMethod.Post, ApiRoutes.Chats, Json(JsonSerializer.Serialize(owner.NewChat(new string('t', 5000)), PolydevJson.Options)), HttpStatusCode.BadRequest, "at most"),
            ("oversized body", HttpMethod.Post, messagesPath, Json(new string(' ', 1600 * 1024)), HttpStatusCode.RequestEntityTooLarge, "larger"),
            ("oversized account request", HttpMethod.Post, ApiRoutes.Login, Json(new string(' ', 100 * 1024)), HttpStatusCode.RequestEntityTooLarge, "larger"),
            ("unknown provider", HttpMethod.Post, ApiRoutes.Credentials, Json(JsonSerializer.Serialize(owner.NewCredential("acme", "s"), PolydevJson.Options)), HttpStatusCode.BadRequest, "provider"),
            ("wrong content type", HttpMethod.Post, messagesPath, new StringContent(validMessage.ToJsonString(), Encoding.UTF8, "text/plain"), HttpStatusCode.UnsupportedMediaType, "application/json"),
            ("stale revision", HttpMethod.Put, ApiRoutes.Chat(chat.Id), Json(JsonSerializer.Serialize(new UpdateChatRequest(owner.Seal(EnvelopeKinds.ChatTitle, chat.Id, "lost update"), 7), PolydevJson.Options)), HttpStatusCode.Conflict, "revision"),
            ("bad cursor", HttpMethod.Get, ApiRoutes.Chats + "?cursor=garbage", null, HttpStatusCode.BadRequest, "cursor"),
            ("limit out of range", HttpMethod.Get, ApiRoutes.Chats + "?limit=100000", null, HttpStatusCode.BadRequest, "limit"),
            ("limit not a number", HttpMethod.Get, ApiRoutes.Chats + "?limit=many", null, HttpStatusCode.BadRequest, "malformed"),
            ("id not a uuid", HttpMethod.Get, ApiRoutes.Chats + "/not-a-uuid", null, HttpStatusCode.NotFound, ""),
            ("message of a missing chat", HttpMethod.Post, ApiRoutes.Messages(Guid.NewGuid()), Json(validMessage.ToJsonString()), HttpStatusCode.NotFound, "chat"),
            ("wrong method", HttpMethod.Patch, ApiRoutes.Chats, null, HttpStatusCode.MethodNotAllowed, ""),
            ("weak KDF at sign-up", HttpMethod.Post, ApiRoutes.Accounts, Json(WeakSignup()), HttpStatusCode.BadRequest, "600000"),
            ("bad e-mail at login", HttpMethod.Post, ApiRoutes.Login, Json(JsonSerializer.Serialize(new LoginRequest("no-at-sign", new byte[32], null), PolydevJson.Options)), HttpStatusCode.BadRequest, "e-mail"),
            ("short authKey", HttpMethod.Post, ApiRoutes.Login, Json(JsonSerializer.Serialize(new LoginRequest(owner.Email, new byte[5], null), PolydevJson.Options)), HttpStatusCode.BadRequest, "32 bytes"),
        };

        foreach (var (name, method, path, body, expected, mentions) in cases)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body };

            // The server answers an oversized body at once and closes; without waiting for "100 Continue" the client
            // could still be sending and see a broken pipe instead of the answer.
            request.Headers.ExpectContinue = body is not null;
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == expected, $"{name}: expected {expected}, got {(int)response.StatusCode} {text}\n{server.Logs.Text}");
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{name}: content type {response.Content.Headers.ContentType}");
            var detail = JsonNode.Parse(text)!["detail"]?.GetValue<string>() ?? "";
            if (expected is not (HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed) || mentions.Length > 0)
            {
                Assert.False(string.IsNullOrWhiteSpace(detail), $"{name}: no detail in {text}");
            }

            Assert.True(detail.Contains(mentions, StringComparison.OrdinalIgnoreCase), $"{name}: detail '{detail}' does not mention '{mentions}'");
        }

        Assert.DoesNotContain("\"level\":\"Error\"", server.Logs.Text);
        Assert.Equal(before, await VaultSnapshotAsync(client, chat.Id));
        Assert.Equal("kept message", owner.Open((await (await client.GetAsync(ApiRoutes.Message(chat.Id, message.Id))).ReadAsync<MessageResponse>())!.Body));
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Replayed_revoked_expired_and_forged_tokens_are_refused(string engine)
    {
        // The server's clock is the test's: the session expires when the test says, not when a loaded machine gets there.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(
            engine,
            new Dictionary<string, string?> { ["Accounts:SessionLifetime"] = "00:10:00" },
            configureServices: services => services.AddSingleton<TimeProvider>(clock));
        var owner = await TestAccount.SignUpAsync(server);
        var loggedOut = owner.Token;
        using (var client = owner.Client(server))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(ApiRoutes.Chats)).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync(ApiRoutes.Logout, null)).StatusCode);
        }

        await owner.LogInAsync(server);
        var revokedTokenId = Guid.Empty;
        string revokedToken;
        using (var client = owner.Client(server))
        {
            // API tokens outlive the 10 minute session lifetime configured here.
            var created = await (await client.PostJsonAsync(ApiRoutes.Tokens, new CreateApiTokenRequest("soon revoked", 1))).ReadAsync<ApiTokenCreatedResponse>();
            revokedToken = created!.Token;
            revokedTokenId = created.Id;
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(ApiRoutes.Token(revokedTokenId))).StatusCode);
        }

        var expiring = owner.Token;
        clock.Advance(TimeSpan.FromMinutes(11));

        var cases = new (string Name, string Header, string Mentions)[]
        {
            ("replayed after logout", "Bearer " + loggedOut, "revoked"),
            ("revoked API token", "Bearer " + revokedToken, "revoked"),
            ("expired session", "Bearer " + expiring, "expired"),
            ("forged token", "Bearer pd_s_" + new string('A', 43), "not known"),
            ("not a Polydev token", "Bearer abc", "not a Polydev token"),
            ("wrong scheme", "Basic dXNlcjpwYXNz", "Bearer"),
        };
        foreach (var (name, header, mentions) in cases)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, ApiRoutes.Chats);
            request.Headers.TryAddWithoutValidation("Authorization", header);
            using var response = await server.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{name}: {response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(mentions, JsonNode.Parse(text)!["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain(loggedOut, server.Logs.Text);
        Assert.DoesNotContain(revokedToken, server.Logs.Text);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string With(JsonObject template, string property, JsonNode value)
    {
        var copy = template.DeepClone().AsObject();
        copy[property] = value;
        return copy.ToJsonString();
    }

    private static string Without(JsonObject template, string property)
    {
        var copy = template.DeepClone().AsObject();
        copy.Remove(property);
        return copy.ToJsonString();
    }

    private static string WithEnvelope(JsonObject template, string? envelope)
    {
        var copy = template.DeepClone().AsObject();
        copy["body"]!["envelope"] = envelope is null ? null : JsonValue.Create(envelope);
        return copy.ToJsonString();
    }

    private static string WithKind(JsonObject template, string kind)
    {
        var copy = template.DeepClone().AsObject();
        copy["body"]!["kind"] = kind;
        return copy.ToJsonString();
    }

    private static string WeakSignup()
    {
        var signup = TestAccount.Create().SignupRequest();
        return JsonSerializer.Serialize(signup with { Kdf = signup.Kdf with { Iterations = 1000 } }, PolydevJson.Options);
    }

    private static async Task<string> VaultSnapshotAsync(HttpClient client, Guid chatId)
    {
        var parts = new List<string>();
        foreach (var path in new[] { ApiRoutes.Chats, ApiRoutes.Messages(chatId), ApiRoutes.Credentials })
        {
            parts.Add(await client.GetStringAsync(path));
        }

        return string.Join("\n", parts);
    }
}
