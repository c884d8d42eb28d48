using System.Text;
using Microsoft.Data.Sqlite;
using Polydev.Contracts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests;

/// <summary>
/// Issue 13, findings 13 and 15d: chat messages were not bound to their chat or position, and credentials not to
/// their provider, so the server could move a message into another chat, reorder a chat, or relabel a key as another
/// provider's, unnoticed. Now each envelope binds them, the client orders messages by their authenticated ids, and
/// records sealed before are re-sealed bound when their owner reads them.
/// </summary>
public sealed class VaultBindingTests
{
    [Fact]
    public async Task A_moved_message_is_refused_a_reordered_chat_shows_in_order_and_an_older_message_is_rebound_on_read()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        using var cli = new Cli(server.Url);
        var password = Needles.Canary("password");
        await cli.SignupAsync($"binding-{Guid.NewGuid():N}@example.com", password);
        var chatA = Guid.Parse((await cli.RunAsync("chats", "new", "A", "--json")).Succeeded().Json().GetProperty("id").GetString()!);
        var chatB = Guid.Parse((await cli.RunAsync("chats", "new", "B", "--json")).Succeeded().Json().GetProperty("id").GetString()!);
        (await cli.RunAsync("chats", "append", chatA.ToString(), "first in A")).Succeeded();
        (await cli.RunAsync("chats", "append", chatA.ToString(), "second in A")).Succeeded();
        (await cli.RunAsync("chats", "append", chatB.ToString(), "only in B")).Succeeded();

        // The server reorders A: its first message now sorts last by the server's own time.
        await using var db = new SqliteConnection($"Data Source={server.SqlitePath}");
        await db.OpenAsync();
        await Execute(db, $"UPDATE chat_messages SET created_at = 9000000000000 WHERE id = (SELECT MIN(id) FROM chat_messages WHERE chat_id = '{chatA:D}')");
        var shown = (await cli.RunAsync("chats", "show", chatA.ToString())).Succeeded().Stdout;
        Assert.True(shown.IndexOf("first in A", StringComparison.Ordinal) < shown.IndexOf("second in A", StringComparison.Ordinal), shown);

        // The server moves B's message into A: A no longer opens, and says which message.
        await Execute(db, $"UPDATE chat_messages SET chat_id = '{chatA:D}' WHERE chat_id = '{chatB:D}'");
        var moved = await cli.RunAsync("chats", "show", chatA.ToString());
        Assert.NotEqual(0, moved.ExitCode);
        Assert.Contains("does not decrypt with your key", moved.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("only in B", moved.Stdout, StringComparison.Ordinal);
        await Execute(db, $"UPDATE chat_messages SET chat_id = '{chatB:D}' WHERE chat_id = '{chatA:D}' AND id = (SELECT MAX(id) FROM chat_messages WHERE chat_id = '{chatA:D}')");

        // A message sealed the old way (no chat in its associated data), as an older client left it: still shown, and
        // re-sealed bound to its chat on that read.
        var (userId, userKey) = await StoredKeys.UserKeyAsync(db, password);
        var legacyId = Guid.CreateVersion7();
        var legacy = Envelope.Seal(userKey, Encoding.UTF8.GetBytes("""{"role":"user","text":"sealed before binding","provider":null,"model":null}"""),
            new EnvelopeContext(EnvelopeKinds.ChatMessage, userId, legacyId));
        await OwnerRequests.PostAsync(server, await OwnerRequests.TokenAsync(cli), ApiRoutes.Messages(chatB), new CreateMessageRequest(legacyId, new EncryptedValue(EnvelopeKinds.ChatMessage, legacyId, legacy)));

        var read = (await cli.RunAsync("chats", "show", chatB.ToString())).Succeeded();
        Assert.Contains("sealed before binding", read.Stdout, StringComparison.Ordinal);
        Assert.Contains("Re-sealed 1 older message", read.Stderr, StringComparison.Ordinal);
        var stored = (byte[])(await Scalar(db, $"SELECT body FROM chat_messages WHERE id = '{legacyId:D}'"))!;
        Envelope.Open(userKey, stored, new EnvelopeContext(EnvelopeKinds.ChatMessage, userId, legacyId, chatB.ToString("D")));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => Envelope.Open(userKey, stored, new EnvelopeContext(EnvelopeKinds.ChatMessage, userId, legacyId)));
        Assert.DoesNotContain("Re-sealed", (await cli.RunAsync("chats", "show", chatB.ToString())).Succeeded().Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_relabelled_credential_is_refused_and_an_older_one_is_rebound_when_listed()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        using var cli = new Cli(server.Url);
        var password = Needles.Canary("password");
        await cli.SignupAsync($"binding-{Guid.NewGuid():N}@example.com", password);
        (await cli.RunAsync(["credentials", "add", "anthropic", "--label", "mine"], stdin: Needles.Canary("key"))).Succeeded();
        Assert.Contains("mine", (await cli.RunAsync("credentials", "list")).Succeeded().Stdout, StringComparison.Ordinal);

        // The server relabels the Anthropic key as OpenAI's: it no longer opens, listed or picked for a run.
        await using var db = new SqliteConnection($"Data Source={server.SqlitePath}");
        await db.OpenAsync();
        await Execute(db, "UPDATE provider_credentials SET provider = 'openai' WHERE provider = 'anthropic'");
        var relabelled = await cli.RunAsync("credentials", "list");
        Assert.NotEqual(0, relabelled.ExitCode);
        Assert.Contains("does not decrypt with your key", relabelled.Stderr, StringComparison.Ordinal);
        var run = await cli.RunAsync(["run", "--provider", "openai", "-"], stdin: "hello");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("does not decrypt with your key", run.Stderr, StringComparison.Ordinal);
        await Execute(db, "DELETE FROM provider_credentials WHERE provider = 'openai'");

        // A credential sealed the old way (no provider in its associated data): listed, and re-sealed bound on that read.
        var (userId, userKey) = await StoredKeys.UserKeyAsync(db, password);
        var legacyId = Guid.CreateVersion7();
        var legacy = Envelope.Seal(userKey, Encoding.UTF8.GetBytes("""{"label":"older","type":"api_key","secret":"sk-older"}"""),
            new EnvelopeContext(EnvelopeKinds.CredentialSecret, userId, legacyId));
        await OwnerRequests.PostAsync(server, await OwnerRequests.TokenAsync(cli), ApiRoutes.Credentials, new CreateCredentialRequest(legacyId, "google", new EncryptedValue(EnvelopeKinds.CredentialSecret, legacyId, legacy)));

        var listed = (await cli.RunAsync("credentials", "list")).Succeeded();
        Assert.Contains("older", listed.Stdout, StringComparison.Ordinal);
        Assert.Contains("Re-sealed 1 older credential", listed.Stderr, StringComparison.Ordinal);
        var stored = (byte[])(await Scalar(db, $"SELECT secret FROM provider_credentials WHERE id = '{legacyId:D}'"))!;
        Envelope.Open(userKey, stored, new EnvelopeContext(EnvelopeKinds.CredentialSecret, userId, legacyId, "google"));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => Envelope.Open(userKey, stored, new EnvelopeContext(EnvelopeKinds.CredentialSecret, userId, legacyId)));
    }

    private static async Task Execute(SqliteConnection db, string sql)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    private static async Task<object?> Scalar(SqliteConnection db, string sql)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
