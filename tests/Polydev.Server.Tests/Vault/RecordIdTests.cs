using System.Net;
using Dapper;
using Microsoft.Data.Sqlite;
using Polydev.Contracts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;
using Polydev.Server.Storage;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Vault;

/// <summary>
/// Issue 13, finding 12: creating a chat, message or credential with an id another user held answered 409, which
/// confirmed the id existed. Record ids are now unique per user: another user's id is as free as a fresh one.
/// </summary>
public sealed class RecordIdTests
{
    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task An_id_another_user_holds_is_answered_as_if_absent_and_both_records_stay_apart(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var alice = await TestAccount.SignUpAsync(server);
        var bob = await TestAccount.SignUpAsync(server);
        using var a = alice.Client(server);
        using var b = bob.Client(server);

        var chat = alice.NewChat("alice's");
        Assert.Equal(HttpStatusCode.Created, (await a.PostJsonAsync(ApiRoutes.Chats, chat)).StatusCode);
        var message = alice.NewMessage("alice's message");
        Assert.Equal(HttpStatusCode.Created, (await a.PostJsonAsync(ApiRoutes.Messages(chat.Id), message)).StatusCode);
        var credential = alice.NewCredential("anthropic", "alice's key");
        Assert.Equal(HttpStatusCode.Created, (await a.PostJsonAsync(ApiRoutes.Credentials, credential)).StatusCode);

        // Bob uses the very same ids: each is created, as a fresh one would be.
        Assert.Equal(HttpStatusCode.Created, (await b.PostJsonAsync(ApiRoutes.Chats, new CreateChatRequest(chat.Id, bob.Seal(EnvelopeKinds.ChatTitle, chat.Id, "bob's")))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await b.PostJsonAsync(ApiRoutes.Messages(chat.Id), new CreateMessageRequest(message.Id, bob.Seal(EnvelopeKinds.ChatMessage, message.Id, "bob's message")))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await b.PostJsonAsync(ApiRoutes.Credentials, new CreateCredentialRequest(credential.Id, "openai", bob.Seal(EnvelopeKinds.CredentialSecret, credential.Id, "bob's key")))).StatusCode);

        // A user's own id is still a conflict, for that user alone.
        Assert.Equal(HttpStatusCode.Conflict, (await a.PostJsonAsync(ApiRoutes.Chats, chat)).StatusCode);

        // Each reads their own, and deleting Bob's leaves Alice's whole.
        Assert.Equal("alice's", alice.Open((await (await a.GetAsync(ApiRoutes.Chat(chat.Id))).ReadAsync<ChatResponse>())!.Title));
        Assert.Equal("bob's", bob.Open((await (await b.GetAsync(ApiRoutes.Chat(chat.Id))).ReadAsync<ChatResponse>())!.Title));
        Assert.Equal(1, (await (await a.GetAsync(ApiRoutes.Chat(chat.Id))).ReadAsync<ChatResponse>())!.MessageCount);
        Assert.Equal(HttpStatusCode.NoContent, (await b.DeleteAsync(ApiRoutes.Chat(chat.Id))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await b.DeleteAsync(ApiRoutes.Credential(credential.Id))).StatusCode);
        var kept = (await (await a.GetAsync(ApiRoutes.Messages(chat.Id))).ReadAsync<Page<MessageResponse>>())!;
        Assert.Equal("alice's message", alice.Open(Assert.Single(kept.Items).Body));
        Assert.Equal("alice's key", alice.Open((await (await a.GetAsync(ApiRoutes.Credential(credential.Id))).ReadAsync<CredentialResponse>())!.Secret));
    }

    /// <summary>Migration 5 rebuilds the vault tables: rows written under the old keys come through whole.</summary>
    [Fact]
    public async Task Migration_5_keeps_every_vault_row()
    {
        var data = Directory.CreateTempSubdirectory("polydev-test-").FullName;
        var dialect = SqlDialect.For(DatabaseEngine.Sqlite);
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(data, "polydev.db")}"))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
            foreach (var migration in Schema.Migrations.Where(m => m.Version < 5))
            {
                await connection.ExecuteAsync(dialect.Render(migration.Sql));
                await connection.ExecuteAsync("INSERT INTO schema_migrations VALUES (@Version, @Name, 0)", new { migration.Version, migration.Name });
            }

            await connection.ExecuteAsync("""
                INSERT INTO users VALUES ('u1', 'u1@example.com', 'PBKDF2-SHA256', 600000, x'00', 'h', x'01', x'02', x'03', NULL, NULL, 1, 1);
                INSERT INTO chats VALUES ('c1', 'u1', x'0a', 1, 2, 3);
                INSERT INTO chat_messages VALUES ('m1', 'c1', 'u1', x'0b', 1, 4, 5);
                INSERT INTO provider_credentials VALUES ('k1', 'u1', 'anthropic', x'0c', 1, 6, 7);
                """);
        }

        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, data, null);
        await using var migrated = await server.Database.OpenAsync();
        Assert.True(await migrated.ExecuteScalarAsync<long>("SELECT MAX(version) FROM schema_migrations") >= 5);
        Assert.Equal("c1|u1|0A|1", await migrated.ExecuteScalarAsync<string>("SELECT id || '|' || user_id || '|' || hex(title) || '|' || revision FROM chats"));
        Assert.Equal("m1|c1|0B", await migrated.ExecuteScalarAsync<string>("SELECT id || '|' || chat_id || '|' || hex(body) FROM chat_messages"));
        Assert.Equal("k1|anthropic|0C", await migrated.ExecuteScalarAsync<string>("SELECT id || '|' || provider || '|' || hex(secret) FROM provider_credentials"));

        // The cascade from a chat to its messages survived the rebuild.
        await migrated.ExecuteAsync("DELETE FROM chats WHERE id = 'c1'");
        Assert.Equal(0, await migrated.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM chat_messages"));
    }
}
