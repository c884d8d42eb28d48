using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Accounts;

/// <summary>
/// Issue 13, finding 14: key rotation re-seals the whole vault under a new user key in one step, or changes nothing;
/// a reset with the recovery code leaves the vault closed to writes until the keys are rotated.
/// </summary>
public sealed class KeyRotationTests
{
    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task A_rotation_re_seals_every_record_replaces_the_keys_and_ends_other_sessions(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var account = await TestAccount.SignUpAsync(server);
        var (chatIds, messageIds, credentialId) = await FillVaultAsync(server, account);
        var (thisToken, thisSession) = (account.Token, account.SessionId);
        await account.LogInAsync(server, "phone");
        var phone = account.Token;
        account.UseSession(thisToken, thisSession);
        using var client = account.Client(server);
        var apiToken = (await (await client.PostJsonAsync(ApiRoutes.Tokens, new CreateApiTokenRequest("mcp", 30))).ReadAsync<ApiTokenCreatedResponse>())!.Token;
        var (oldUserKey, oldRecoveryAuthKey) = (account.UserKey, account.RecoveryAuthKey);
        var before = await (await client.GetAsync(ApiRoutes.Account)).ReadAsync<AccountKeysResponse>();

        var (rotationsBefore, recordsBefore) = (await CounterAsync(server, Rotated("requested")), await CounterAsync(server, "polydev_key_rotation_records_total"));
        var rotation = await account.RotationAsync(server);
        var response = await client.PutJsonAsync(ApiRoutes.AccountKeys, rotation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var after = (await response.ReadAsync<AccountKeysResponse>())!;
        Assert.Equal(account.UserKey, Envelope.Open(account.Kek, after.UserKey.Envelope, new EnvelopeContext(EnvelopeKinds.UserKey, account.UserId, account.UserId)));
        Assert.NotEqual(oldUserKey, account.UserKey);
        Assert.NotEqual(before!.PublicKey, after.PublicKey);
        Assert.Equal(rotation.PublicKey, after.PublicKey);
        Assert.True(after.HasRecovery);

        // Every record opens with the new key only, at the next revision.
        foreach (var chatId in chatIds)
        {
            var chat = (await (await client.GetAsync(ApiRoutes.Chat(chatId))).ReadAsync<ChatResponse>())!;
            Assert.StartsWith("chat ", account.Open(chat.Title));
            Assert.Equal(2, chat.Revision);
            Assert.ThrowsAny<CryptographicException>(() => Envelope.Open(oldUserKey, chat.Title.Envelope, new EnvelopeContext(EnvelopeKinds.ChatTitle, account.UserId, chatId)));
            var messages = (await (await client.GetAsync(ApiRoutes.Messages(chatId))).ReadAsync<Page<MessageResponse>>())!.Items;
            Assert.All(messages, m => Assert.StartsWith("message ", account.Open(m.Body)));
            Assert.Equal(messageIds[chatId], messages.Select(m => m.Id).ToList());
        }

        var credential = (await (await client.GetAsync(ApiRoutes.Credential(credentialId))).ReadAsync<CredentialResponse>())!;
        Assert.Equal("sk-canary", account.Open(credential.Secret));

        // Other sessions and API tokens are over; this one goes on.
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.CreateClient(phone).GetAsync(ApiRoutes.Chats)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.CreateClient(apiToken).GetAsync(ApiRoutes.Chats)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(ApiRoutes.Chats)).StatusCode);

        // The old recovery code opens nothing any more; the new one opens the new key.
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.PostJsonAsync(ApiRoutes.RecoveryVerify, new RecoveryVerifyRequest(account.Email, oldRecoveryAuthKey))).StatusCode);
        var verified = (await (await server.Client.PostJsonAsync(ApiRoutes.RecoveryVerify, new RecoveryVerifyRequest(account.Email, account.RecoveryAuthKey))).ReadAsync<RecoveryVerifyResponse>())!;
        Assert.Equal(account.UserKey, Envelope.Open(account.RecoveryKey, verified.RecoveryUserKey.Envelope, new EnvelopeContext(EnvelopeKinds.UserRecoveryKey, account.UserId, account.UserId)));

        Assert.Equal(rotationsBefore + 1, await CounterAsync(server, Rotated("requested")));
        Assert.Equal(recordsBefore + 6, await CounterAsync(server, "polydev_key_rotation_records_total"));
        Assert.Contains("keys (requested): 6 vault records re-sealed", server.Logs.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task A_rotation_that_does_not_match_the_vault_changes_nothing(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var account = await TestAccount.SignUpAsync(server);
        var (chatIds, _, credentialId) = await FillVaultAsync(server, account);
        using var client = account.Client(server);
        var before = (await (await client.GetAsync(ApiRoutes.Account)).ReadAsync<AccountKeysResponse>())!;
        var staleBefore = await CounterAsync(server, Stale("requested"));

        // Each way the vault can move under a rotation: a record added, one changed, one deleted, and one the client invented.
        var cases = new (string Name, Func<RotateKeysRequest, Task<RotateKeysRequest>> Change)[]
        {
            ("added", async r =>
            {
                var added = await client.PostJsonAsync(ApiRoutes.Messages(chatIds[0]), account.NewMessage("message written meanwhile"));
                Assert.Equal(HttpStatusCode.Created, added.StatusCode);
                return r;
            }),
            ("changed", async r =>
            {
                var changed = await client.PutJsonAsync(ApiRoutes.Credential(credentialId), new UpdateCredentialRequest(account.Seal(EnvelopeKinds.CredentialSecret, credentialId, "sk-canary"), 1));
                Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
                return r;
            }),
            ("deleted", async r =>
            {
                Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(ApiRoutes.Chat(chatIds[1]))).StatusCode);
                return r;
            }),
            ("invented", r =>
            {
                var id = Guid.CreateVersion7();
                return Task.FromResult(r with { Chats = [.. r.Chats, new ResealedRecord(id, 1, account.Seal(EnvelopeKinds.ChatTitle, id, "no such chat"))] });
            }),
        };

        foreach (var (name, change) in cases)
        {
            var rotation = await account.RotationAsync(server);
            account.ForgetRotation(); // the vault moves on under the old key meanwhile
            var response = await client.PutJsonAsync(ApiRoutes.AccountKeys, await change(rotation));

            Assert.True(HttpStatusCode.Conflict == response.StatusCode, $"{name}: {response.StatusCode}");
            Assert.Contains("changed while it was being re-encrypted", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            var now = (await (await client.GetAsync(ApiRoutes.Account)).ReadAsync<AccountKeysResponse>())!;
            Assert.Equal(before.UserKey.Envelope, now.UserKey.Envelope);
            Assert.Equal(before.PublicKey, now.PublicKey);
            foreach (var chat in (await (await client.GetAsync(ApiRoutes.Chats)).ReadAsync<Page<ChatResponse>>())!.Items)
            {
                Assert.StartsWith("chat ", account.Open(chat.Title)); // still under the old key
            }
        }

        Assert.Equal(staleBefore + 4, await CounterAsync(server, Stale("requested")));
        Assert.Equal(HttpStatusCode.OK, (await client.PutJsonAsync(ApiRoutes.AccountKeys, await account.RotationAsync(server))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task A_rotation_can_change_the_password_in_the_same_step(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var account = await TestAccount.SignUpAsync(server);
        await FillVaultAsync(server, account);
        var oldAuthKey = account.AuthKey;
        using var client = account.Client(server);

        var rotationsBefore = await CounterAsync(server, Rotated("password"));
        var rotation = await account.RotationAsync(server, withNewPassword: true);
        Assert.Equal(HttpStatusCode.OK, (await client.PutJsonAsync(ApiRoutes.AccountKeys, rotation)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.PostJsonAsync(ApiRoutes.Login, new LoginRequest(account.Email, oldAuthKey, null))).StatusCode);
        var login = await account.LogInAsync(server);
        Assert.Equal(rotation.NewPassword!.Kdf.Salt, login.Account.Kdf.Salt);
        Assert.Equal(account.UserKey, Envelope.Open(account.Kek, login.Account.UserKey.Envelope, new EnvelopeContext(EnvelopeKinds.UserKey, account.UserId, account.UserId)));
        Assert.Equal(rotationsBefore + 1, await CounterAsync(server, Rotated("password")));
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task After_a_reset_with_the_recovery_code_the_vault_takes_no_writes_until_the_keys_are_rotated(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var account = await TestAccount.SignUpAsync(server);
        var (chatIds, _, credentialId) = await FillVaultAsync(server, account);
        var next = account.NewPassword();
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.PostJsonAsync(ApiRoutes.RecoveryReset, new RecoveryResetRequest(account.Email, account.RecoveryAuthKey, next.Kdf, next.AuthKey, next.UserKey))).StatusCode);

        var login = await account.LogInAsync(server);
        Assert.True(login.Account.KeyRotationRequired);
        Assert.False(login.Account.HasRecovery);
        using var client = account.Client(server);
        var refusals = new[]
        {
            await client.PostJsonAsync(ApiRoutes.Chats, account.NewChat("under the old key")),
            await client.PostJsonAsync(ApiRoutes.Messages(chatIds[0]), account.NewMessage("under the old key")),
            await client.PutJsonAsync(ApiRoutes.Credential(credentialId), new UpdateCredentialRequest(account.Seal(EnvelopeKinds.CredentialSecret, credentialId, "sk-new"), 1)),
            await client.PostJsonAsync(ApiRoutes.Credentials, account.NewCredential("openai", "sk-new")),
            await client.DeleteAsync(ApiRoutes.Chat(chatIds[1])),
        };
        foreach (var refusal in refusals)
        {
            Assert.Equal(HttpStatusCode.Conflict, refusal.StatusCode);
            Assert.Contains("must be rotated", await refusal.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(3, (await (await client.GetAsync(ApiRoutes.Chats)).ReadAsync<Page<ChatResponse>>())!.Items.Count);
        var rotationsBefore = await CounterAsync(server, Rotated("recovery"));

        Assert.Equal(HttpStatusCode.OK, (await client.PutJsonAsync(ApiRoutes.AccountKeys, await account.RotationAsync(server))).StatusCode);
        var account2 = (await (await client.GetAsync(ApiRoutes.Account)).ReadAsync<AccountKeysResponse>())!;
        Assert.False(account2.KeyRotationRequired);
        Assert.True(account2.HasRecovery);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Chats, account.NewChat("under the new key"))).StatusCode);
        Assert.Equal(rotationsBefore + 1, await CounterAsync(server, Rotated("recovery")));
    }

    [Fact]
    public async Task Bad_rotations_are_refused_with_the_field_named_and_change_nothing()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, new Dictionary<string, string?> { ["Accounts:MaxKeyRotationBytes"] = "65536" });
        var account = await TestAccount.SignUpAsync(server);
        var (chatIds, _, _) = await FillVaultAsync(server, account);
        using var client = account.Client(server);
        var before = (await (await client.GetAsync(ApiRoutes.Account)).ReadAsync<AccountKeysResponse>())!;
        var good = await account.RotationAsync(server);
        account.ForgetRotation();
        var chat = good.Chats[0];

        var cases = new (string Name, object Body, HttpStatusCode Status, string Expected)[]
        {
            ("wrong password", good with { CurrentAuthKey = RandomNumberGenerator.GetBytes(32) }, HttpStatusCode.Forbidden, "current password is wrong"),
            ("no list", Without(good, "messages"), HttpStatusCode.BadRequest, "messages"),
            ("twice", good with { Chats = [.. good.Chats, chat] }, HttpStatusCode.BadRequest, "appears twice"),
            ("wrong kind", good with { Chats = [chat with { Value = chat.Value with { Kind = EnvelopeKinds.ChatMessage } }, .. good.Chats.Skip(1)] }, HttpStatusCode.BadRequest, "chats[0].value.kind"),
            ("moved", good with { Chats = [chat with { Id = good.Chats[1].Id }, .. good.Chats.Skip(1)] }, HttpStatusCode.BadRequest, "recordId must be the id"),
            ("no revision", good with { Chats = [chat with { Revision = 0 }, .. good.Chats.Skip(1)] }, HttpStatusCode.BadRequest, "chats[0].revision"),
            ("not a key", good with { PublicKey = new byte[65] }, HttpStatusCode.BadRequest, "publicKey"),
            ("weak new password", good with { NewPassword = new NewPasswordDto(new KdfDto("pbkdf2-sha256", 1000, new byte[16]), RandomNumberGenerator.GetBytes(32)) }, HttpStatusCode.BadRequest, "newPassword.kdf"),
            ("too large", good with { Messages = [.. Enumerable.Range(0, 1000).Select(_ => good.Messages[0])] }, HttpStatusCode.RequestEntityTooLarge, "larger"),
        };

        foreach (var (name, body, status, expected) in cases)
        {
            var response = await client.PutJsonAsync(ApiRoutes.AccountKeys, body);
            Assert.True(status == response.StatusCode, $"{name}: {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(text.Contains(expected, StringComparison.Ordinal), $"{name}: {text}");
        }

        var after = (await (await client.GetAsync(ApiRoutes.Account)).ReadAsync<AccountKeysResponse>())!;
        Assert.Equal(before.UserKey.Envelope, after.UserKey.Envelope);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(ApiRoutes.Chats)).StatusCode);
    }

    private static string Rotated(string reason) => $"polydev_key_rotations_total{{reason=\"{reason}\",outcome=\"rotated\"}}";

    private static string Stale(string reason) => $"polydev_key_rotations_total{{reason=\"{reason}\",outcome=\"stale\"}}";

    /// <summary>A series' value now: the registry is the process's, shared by every server of the test run, so tests compare before and after.</summary>
    private static async Task<double> CounterAsync(RunningServer server, string series)
    {
        var line = (await server.Client.GetStringAsync("/metrics")).Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static JsonObject Without(RotateKeysRequest request, string property)
    {
        var json = JsonSerializer.SerializeToNode(request, PolydevJson.Options)!.AsObject();
        Assert.True(json.Remove(property));
        return json;
    }

    /// <summary>Three chats (two messages each but the last) and a credential: six records with messages 0 and 1.</summary>
    private static async Task<(List<Guid> Chats, Dictionary<Guid, List<Guid>> Messages, Guid Credential)> FillVaultAsync(RunningServer server, TestAccount account)
    {
        using var client = account.Client(server);
        var chats = new List<Guid>();
        var messages = new Dictionary<Guid, List<Guid>>();
        for (var i = 0; i < 2; i++)
        {
            var chat = account.NewChat($"chat {i}");
            Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Chats, chat)).StatusCode);
            chats.Add(chat.Id);
            messages[chat.Id] = [];
            var message = account.NewMessage($"message {i}");
            Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Messages(chat.Id), message)).StatusCode);
            messages[chat.Id].Add(message.Id);
        }

        var empty = account.NewChat("chat without messages");
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Chats, empty)).StatusCode);
        chats.Add(empty.Id);
        messages[empty.Id] = [];
        var credential = account.NewCredential("anthropic", "sk-canary");
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Credentials, credential)).StatusCode);
        return (chats, messages, credential.Id);
    }
}
