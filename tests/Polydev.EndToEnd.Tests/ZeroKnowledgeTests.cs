using Polydev.Testing;
using System.Text;
using System.Text.Json;
using Polydev.Crypto;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests;

/// <summary>
/// ARCHITECTURE.md, "Zero knowledge": after real use through the CLI, the server's database (every table, every
/// column, and the SQLite files byte for byte), its logs and its metrics hold no password, no key and no content —
/// in plain text, hex or base64. The same canaries must come back through the CLI, so the search is not vacuous.
/// </summary>
public sealed class ZeroKnowledgeTests
{
    [Fact]
    public async Task Sqlite_server_sees_no_secret()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        await RunAsync(server, () => DatabaseDump.ReadSqliteAsync(server.SqlitePath));
    }

    [Fact]
    public async Task Postgres_server_sees_no_secret()
    {
        var database = await PostgresServer.CreateDatabaseAsync("e2e_zero_knowledge");
        try
        {
            await using var server = await ServerProcess.StartAsync(database);
            await RunAsync(server, () => DatabaseDump.ReadPostgresAsync(database));
        }
        finally
        {
            await PostgresServer.DropDatabaseAsync(database);
        }
    }

    private static async Task RunAsync(ServerProcess server, Func<Task<DatabaseDump>> dump)
    {
        var email = $"zk-{Guid.NewGuid():N}@example.com";
        var password = Needles.Canary("password");
        var newPassword = Needles.Canary("new-password");
        var title = Needles.Canary("title");
        var message = Needles.Canary("message");
        var label = Needles.Canary("label");
        var secret = Needles.Canary("secret");
        using var cli = new Cli(server.Url);

        // Real use: sign-up, a credential, a chat, an unlock from the password, a password change.
        var recoveryCode = (await cli.SignupAsync(email, password)).GetProperty("recoveryCode").GetString()!;
        (await cli.RunAsync(["credentials", "add", "openai", "--label", label], stdin: secret)).Succeeded();
        var chatId = (await cli.RunAsync("chats", "new", title, "--json")).Succeeded().Json().GetProperty("id").GetString()!;
        (await cli.RunAsync(["chats", "append", chatId, "-"], stdin: message)).Succeeded();
        cli.Session = (await cli.RunWithPasswordAsync(password, "unlock")).Succeeded().ExportedSession();
        (await cli.RunAsync(["password", "change"], environment: new Dictionary<string, string?>
        {
            ["POLYDEV_PASSWORD"] = password,
            ["POLYDEV_NEW_PASSWORD"] = newPassword,
        })).Succeeded();

        // The canaries do come back, decrypted, through the CLI.
        var shown = (await cli.RunAsync("chats", "show", chatId)).Succeeded().Stdout;
        Assert.Contains(title, shown, StringComparison.Ordinal);
        Assert.Contains(message, shown, StringComparison.Ordinal);
        Assert.Contains(label, (await cli.RunAsync("credentials", "list")).Succeeded().Stdout, StringComparison.Ordinal);

        var metrics = await server.GetAsync("/metrics");
        await server.StopAsync();
        var logs = server.Logs;
        var database = await dump();

        // The dump is real: what the server may see is in it, and the sealed records decrypt to the canaries.
        var user = Assert.Single(database.Rows("users"));
        Assert.Contains(email, database.Text, StringComparison.Ordinal);
        Assert.Contains("openai", database.Text, StringComparison.Ordinal);
        Assert.Contains("request", logs, StringComparison.Ordinal);
        Assert.Contains("polydev_", metrics, StringComparison.Ordinal);

        var userId = Guid.Parse((string)user["id"]!);
        var kdf = new KdfParameters((string)user["kdf_algorithm"]!, Convert.ToInt32(user["kdf_iterations"], System.Globalization.CultureInfo.InvariantCulture), (byte[])user["kdf_salt"]!);
        var masterKey = MasterKey.Derive(newPassword, kdf);
        var authKey = MasterKey.DeriveAuthKey(masterKey);
        var kek = MasterKey.DeriveKek(masterKey);
        var userKey = Envelope.Open(kek, (byte[])user["user_key"]!, new EnvelopeContext(EnvelopeKinds.UserKey, userId, userId));
        var privateKey = Envelope.Open(userKey, (byte[])user["private_key"]!, new EnvelopeContext(EnvelopeKinds.UserPrivateKey, userId, userId));

        var credential = Assert.Single(database.Rows("provider_credentials"));
        var credentialId = Guid.Parse((string)credential["id"]!);
        var credentialJson = Envelope.Open(userKey, (byte[])credential["secret"]!, new EnvelopeContext(EnvelopeKinds.CredentialSecret, userId, credentialId, (string)credential["provider"]!));
        using (var document = JsonDocument.Parse(credentialJson))
        {
            Assert.Equal(secret, document.RootElement.GetProperty("secret").GetString());
            Assert.Equal(label, document.RootElement.GetProperty("label").GetString());
            Assert.Equal("api_key", document.RootElement.GetProperty("type").GetString());
        }

        var stored = Assert.Single(database.Rows("chat_messages"));
        var messageJson = Envelope.Open(userKey, (byte[])stored["body"]!, new EnvelopeContext(EnvelopeKinds.ChatMessage, userId, Guid.Parse((string)stored["id"]!), (string)stored["chat_id"]!));
        using (var document = JsonDocument.Parse(messageJson))
        {
            Assert.Equal(message, document.RootElement.GetProperty("text").GetString());
            Assert.Equal("user", document.RootElement.GetProperty("role").GetString());
        }

        // And yet nothing secret is anywhere the operator can look.
        var needles = new Needles()
            .AddText("password", password)
            .AddText("new password", newPassword)
            .AddText("recovery code", recoveryCode)
            .AddText("chat title", title)
            .AddText("chat message", message)
            .AddText("credential label", label)
            .AddText("credential secret", secret)
            .AddBytes("master key", masterKey)
            .AddBytes("auth key", authKey)
            .AddBytes("kek", kek)
            .AddBytes("user key", userKey)
            .AddBytes("private key", privateKey);

        needles.AssertAbsentFrom("the database as text", database.Text);
        needles.AssertAbsentFrom("the database as bytes", database.Bytes);
        needles.AssertAbsentFrom("the server's logs", logs);
        needles.AssertAbsentFrom("the server's logs as bytes", [Encoding.UTF8.GetBytes(logs)]);
        needles.AssertAbsentFrom("/metrics", metrics);
    }
}
