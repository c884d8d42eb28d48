using System.Net;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Accounts;

/// <summary>
/// Every account and vault endpoint, called anonymously, as another user and as the owner:
/// only the owner succeeds, and the failed calls change nothing.
/// </summary>
public sealed class AuthorizationMatrixTests
{
    /// <summary>One row of the matrix: how to call the endpoint for a given owner's records.</summary>
    private sealed record Call(string Name, HttpMethod Method, Func<Fixture, string> Path, Func<Fixture, TestAccount, object?> Body, HttpStatusCode OwnerStatus);

    /// <summary>The owner's records every call in the matrix points at.</summary>
    private sealed record Fixture(TestAccount Owner, Guid ChatId, Guid MessageId, Guid CredentialId, Guid OtherSessionId, Guid ApiTokenId);

    private static readonly Call[] RecordCalls =
    [
        new("get chat", HttpMethod.Get, f => ApiRoutes.Chat(f.ChatId), (_, _) => null, HttpStatusCode.OK),
        new("update chat", HttpMethod.Put, f => ApiRoutes.Chat(f.ChatId), (f, caller) => new UpdateChatRequest(f.Owner.Seal(EnvelopeKinds.ChatTitle, f.ChatId, "renamed"), 1), HttpStatusCode.OK),
        new("list messages", HttpMethod.Get, f => ApiRoutes.Messages(f.ChatId), (_, _) => null, HttpStatusCode.OK),
        new("append message", HttpMethod.Post, f => ApiRoutes.Messages(f.ChatId), (f, caller) => f.Owner.NewMessage("appended"), HttpStatusCode.Created),
        new("get message", HttpMethod.Get, f => ApiRoutes.Message(f.ChatId, f.MessageId), (_, _) => null, HttpStatusCode.OK),
        new("update message", HttpMethod.Put, f => ApiRoutes.Message(f.ChatId, f.MessageId), (f, _) => new UpdateMessageRequest(f.Owner.Seal(EnvelopeKinds.ChatMessage, f.MessageId, "edited"), 1), HttpStatusCode.OK),
        new("get credential", HttpMethod.Get, f => ApiRoutes.Credential(f.CredentialId), (_, _) => null, HttpStatusCode.OK),
        new("update credential", HttpMethod.Put, f => ApiRoutes.Credential(f.CredentialId), (f, _) => new UpdateCredentialRequest(f.Owner.Seal(EnvelopeKinds.CredentialSecret, f.CredentialId, "rotated"), 1), HttpStatusCode.OK),
        new("revoke session", HttpMethod.Delete, f => ApiRoutes.Session(f.OtherSessionId), (_, _) => null, HttpStatusCode.NoContent),
        new("revoke API token", HttpMethod.Delete, f => ApiRoutes.Token(f.ApiTokenId), (_, _) => null, HttpStatusCode.NoContent),
        new("delete message", HttpMethod.Delete, f => ApiRoutes.Message(f.ChatId, f.MessageId), (_, _) => null, HttpStatusCode.NoContent),
        new("delete credential", HttpMethod.Delete, f => ApiRoutes.Credential(f.CredentialId), (_, _) => null, HttpStatusCode.NoContent),
        new("delete chat", HttpMethod.Delete, f => ApiRoutes.Chat(f.ChatId), (_, _) => null, HttpStatusCode.NoContent),
    ];

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Only_the_owner_can_reach_a_record(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var fixture = await CreateFixtureAsync(server);
        var intruder = await TestAccount.SignUpAsync(server);
        var before = await SnapshotAsync(server, fixture);

        using var anonymous = server.CreateClient();
        using var asIntruder = intruder.Client(server);
        foreach (var call in RecordCalls)
        {
            using var anonymousResponse = await SendAsync(anonymous, call, fixture, fixture.Owner);
            Assert.True(anonymousResponse.StatusCode == HttpStatusCode.Unauthorized, $"{call.Name} anonymously: {anonymousResponse.StatusCode}");
            await AssertProblemAsync(anonymousResponse);

            using var intruderResponse = await SendAsync(asIntruder, call, fixture, intruder);
            Assert.True(intruderResponse.StatusCode == HttpStatusCode.NotFound, $"{call.Name} as another user: {intruderResponse.StatusCode}");
            await AssertProblemAsync(intruderResponse);
        }

        Assert.Equal(before, await SnapshotAsync(server, fixture));

        using var asOwner = fixture.Owner.Client(server);
        foreach (var call in RecordCalls)
        {
            using var ownerResponse = await SendAsync(asOwner, call, fixture, fixture.Owner);
            Assert.True(ownerResponse.StatusCode == call.OwnerStatus, $"{call.Name} as the owner: {ownerResponse.StatusCode} {await ownerResponse.Content.ReadAsStringAsync()}");
        }
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Account_endpoints_refuse_anonymous_callers_and_act_only_on_the_callers_own_account(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var fixture = await CreateFixtureAsync(server);
        var owner = fixture.Owner;
        var intruder = await TestAccount.SignUpAsync(server);
        using var anonymous = server.CreateClient();
        using var asIntruder = intruder.Client(server);

        (HttpMethod Method, string Path, object? Body)[] accountCalls =
        [
            (HttpMethod.Get, ApiRoutes.Account, null),
            (HttpMethod.Put, ApiRoutes.AccountPassword, owner.NewPasswordPreview()),
            (HttpMethod.Put, ApiRoutes.AccountRecovery, new SetRecoveryRequest(owner.AuthKey, owner.SignupRequest().Recovery!)),
            (HttpMethod.Post, ApiRoutes.AccountDelete, new DeleteAccountRequest(owner.AuthKey)),
            (HttpMethod.Post, ApiRoutes.Logout, null),
            (HttpMethod.Get, ApiRoutes.Sessions, null),
            (HttpMethod.Delete, ApiRoutes.Sessions, null),
            (HttpMethod.Get, ApiRoutes.Tokens, null),
            (HttpMethod.Post, ApiRoutes.Tokens, new CreateApiTokenRequest("script", 30)),
            (HttpMethod.Get, ApiRoutes.Chats, null),
            (HttpMethod.Post, ApiRoutes.Chats, owner.NewChat("x")),
            (HttpMethod.Get, ApiRoutes.Credentials, null),
            (HttpMethod.Post, ApiRoutes.Credentials, owner.NewCredential(Providers.Google, "x")),
        ];

        foreach (var (method, path, body) in accountCalls)
        {
            using var response = await anonymous.SendAsync(Request(method, path, body));
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} anonymously: {response.StatusCode}");
            await AssertProblemAsync(response);
        }

        // The owner's proofs do not work on another account: the password-gated calls refuse.
        using (var password = await asIntruder.PutJsonAsync(ApiRoutes.AccountPassword, intruder.NewPasswordPreview() with { CurrentAuthKey = owner.AuthKey }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, password.StatusCode);
        }

        using (var delete = await asIntruder.PostJsonAsync(ApiRoutes.AccountDelete, new DeleteAccountRequest(owner.AuthKey)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        }

        // Lists as the intruder show the intruder's (empty) vault, never the owner's records.
        var chats = await (await asIntruder.GetAsync(ApiRoutes.Chats)).ReadAsync<Page<ChatResponse>>();
        Assert.Empty(chats!.Items);
        var credentials = await (await asIntruder.GetAsync(ApiRoutes.Credentials)).ReadAsync<Page<CredentialResponse>>();
        Assert.Empty(credentials!.Items);
        var sessions = await (await asIntruder.GetAsync(ApiRoutes.Sessions)).ReadAsync<List<SessionResponse>>();
        Assert.DoesNotContain(sessions!, s => s.Id == fixture.OtherSessionId || s.Id == owner.SessionId);
        var account = await (await asIntruder.GetAsync(ApiRoutes.Account)).ReadAsync<AccountKeysResponse>();
        Assert.Equal(intruder.UserId, account!.UserId);

        // The owner still has everything, and can still sign in.
        var ownerChats = await (await owner.Client(server).GetAsync(ApiRoutes.Chats)).ReadAsync<Page<ChatResponse>>();
        Assert.Single(ownerChats!.Items);
        await owner.LogInAsync(server);
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task An_api_token_reads_the_vault_but_cannot_manage_the_account(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var fixture = await CreateFixtureAsync(server);
        var created = await (await fixture.Owner.Client(server).PostJsonAsync(ApiRoutes.Tokens, new CreateApiTokenRequest("mcp", null))).ReadAsync<ApiTokenCreatedResponse>();
        using var asToken = server.CreateClient(created!.Token);

        Assert.Equal(HttpStatusCode.OK, (await asToken.GetAsync(ApiRoutes.Chat(fixture.ChatId))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await asToken.PostJsonAsync(ApiRoutes.Messages(fixture.ChatId), fixture.Owner.NewMessage("from a script"))).StatusCode);

        (HttpMethod Method, string Path, object? Body)[] interactiveOnly =
        [
            (HttpMethod.Post, ApiRoutes.Tokens, new CreateApiTokenRequest("another", 1)),
            (HttpMethod.Get, ApiRoutes.Tokens, null),
            (HttpMethod.Get, ApiRoutes.Sessions, null),
            (HttpMethod.Delete, ApiRoutes.Sessions, null),
            (HttpMethod.Put, ApiRoutes.AccountPassword, fixture.Owner.NewPasswordPreview()),
            (HttpMethod.Post, ApiRoutes.AccountDelete, new DeleteAccountRequest(fixture.Owner.AuthKey)),
        ];
        foreach (var (method, path, body) in interactiveOnly)
        {
            using var response = await asToken.SendAsync(Request(method, path, body));
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} with an API token: {response.StatusCode}");
            await AssertProblemAsync(response);
        }

        Assert.Equal(HttpStatusCode.OK, (await fixture.Owner.Client(server).GetAsync(ApiRoutes.Account)).StatusCode);
    }

    private static async Task<Fixture> CreateFixtureAsync(RunningServer server)
    {
        var owner = await TestAccount.SignUpAsync(server);
        using var client = owner.Client(server);
        var chat = owner.NewChat("owner's chat");
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Chats, chat)).StatusCode);
        var message = owner.NewMessage("owner's message");
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Messages(chat.Id), message)).StatusCode);
        var credential = owner.NewCredential(Providers.Anthropic, "owner's key");
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Credentials, credential)).StatusCode);
        var token = await (await client.PostJsonAsync(ApiRoutes.Tokens, new CreateApiTokenRequest("ci", 7))).ReadAsync<ApiTokenCreatedResponse>();

        // A second login session of the owner's, for the revoke-session row; the first stays current.
        var first = owner.Token;
        var firstSession = owner.SessionId;
        var second = await owner.LogInAsync(server, "laptop");
        var fixture = new Fixture(owner, chat.Id, message.Id, credential.Id, second.SessionId, token!.Id);
        owner.UseSession(first, firstSession);
        return fixture;
    }

    /// <summary>Everything of the owner's the matrix could damage, as comparable text.</summary>
    private static async Task<string> SnapshotAsync(RunningServer server, Fixture fixture)
    {
        using var client = fixture.Owner.Client(server);
        var parts = new List<string>();
        foreach (var path in new[] { ApiRoutes.Chat(fixture.ChatId), ApiRoutes.Messages(fixture.ChatId), ApiRoutes.Credentials, ApiRoutes.Sessions, ApiRoutes.Tokens })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {response.StatusCode}\n{server.Logs.Text}");
            var body = await response.Content.ReadAsStringAsync();
            // lastUsedAt legitimately moves as the owner reads; everything else must not.
            parts.Add(System.Text.RegularExpressions.Regex.Replace(body, "\"lastUsedAt\":\"[^\"]*\"", ""));
        }

        return string.Join("\n", parts);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, Call call, Fixture fixture, TestAccount caller) =>
        client.SendAsync(Request(call.Method, call.Path(fixture), call.Body(fixture, caller)));

    private static HttpRequestMessage Request(HttpMethod method, string path, object? body)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = System.Net.Http.Json.JsonContent.Create(body, body.GetType(), options: PolydevJson.Options);
        }

        return request;
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"detail\"", problem);
    }
}
