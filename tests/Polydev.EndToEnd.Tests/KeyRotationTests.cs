using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Polydev.Crypto;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests;

/// <summary>
/// Issue 13, finding 14, through the real binary: `polydev account rotate-keys` and `password change --rotate-keys`
/// re-encrypt the whole vault so the old user key opens nothing stored, end other sessions and replace the recovery
/// code; a sign-in after an unfinished recovery rotates before anything else.
/// </summary>
public sealed class KeyRotationTests
{
    [Fact]
    public async Task Rotating_the_keys_leaves_nothing_the_old_user_key_opens()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        using var cli = new Cli(server.Url);
        var password = Needles.Canary("password");
        var email = $"rotation-{Guid.NewGuid():N}@example.com";
        var oldCode = (await cli.SignupAsync(email, password)).GetProperty("recoveryCode").GetString()!;
        var chat = (await cli.RunAsync("chats", "new", "Rotated chat", "--json")).Succeeded().Json().GetProperty("id").GetString()!;
        (await cli.RunAsync("chats", "append", chat, "a message that outlives its key")).Succeeded();
        (await cli.RunAsync(["credentials", "add", "anthropic", "--label", "work key"], stdin: "sk-ant-rotated")).Succeeded();
        using var otherDevice = new Cli(server.Url);
        otherDevice.Session = (await otherDevice.RunWithPasswordAsync(password, "login", "--email", email)).Succeeded().ExportedSession();

        await using var db = new SqliteConnection($"Data Source={server.SqlitePath}");
        await db.OpenAsync();
        var (userId, oldKey) = await StoredKeys.UserKeyAsync(db, password);

        var rotated = (await cli.RunWithPasswordAsync(password, "account", "rotate-keys", "--json")).Succeeded().Json();
        Assert.Equal(3, rotated.GetProperty("records").GetInt32());
        var newCode = rotated.GetProperty("recoveryCode").GetString()!;
        Assert.NotEqual(oldCode, newCode);
        cli.Session = rotated.GetProperty("session").GetString();

        var (_, newKey) = await StoredKeys.UserKeyAsync(db, password);
        Assert.NotEqual(oldKey, newKey);
        await AssertNothingOpensWithAsync(db, oldKey, userId, envelopeCount: 4);

        // The owner reads everything as before; the other device and the old recovery code are out.
        Assert.Contains("a message that outlives its key", (await cli.RunAsync("chats", "show", chat)).Succeeded().Stdout, StringComparison.Ordinal);
        Assert.Contains("work key", (await cli.RunAsync("credentials", "list")).Succeeded().Stdout, StringComparison.Ordinal);
        Assert.Contains("polydev login", (await otherDevice.RunAsync("chats", "list")).FailedWithOneLine(), StringComparison.Ordinal);
        using var thief = new Cli(server.Url);
        var stale = await thief.RunAsync(["account", "recover", "--email", email], stdin: oldCode + "\n", environment: new Dictionary<string, string?> { ["POLYDEV_NEW_PASSWORD"] = "a thief's password" });
        Assert.NotEqual(0, stale.ExitCode);

        // A password change offers the same; with --rotate-keys it is one step.
        var newPassword = Needles.Canary("new password");
        var changed = (await cli.RunAsync(["password", "change", "--rotate-keys", "--json"], environment: new Dictionary<string, string?>
        {
            ["POLYDEV_PASSWORD"] = password,
            ["POLYDEV_NEW_PASSWORD"] = newPassword,
        })).Succeeded().Json();
        cli.Session = changed.GetProperty("session").GetString();
        var (_, thirdKey) = await StoredKeys.UserKeyAsync(db, newPassword);
        await AssertNothingOpensWithAsync(db, newKey, userId, envelopeCount: 4);
        Assert.NotEqual(newKey, thirdKey);
        Assert.Contains("a message that outlives its key", (await cli.RunAsync("chats", "show", chat)).Succeeded().Stdout, StringComparison.Ordinal);
        Assert.Contains("password is wrong", (await otherDevice.RunWithPasswordAsync(password, "login", "--email", email)).Stderr, StringComparison.Ordinal);

        // The code from the rotation before is spent too; the last one recovers.
        using var recovering = new Cli(server.Url);
        Assert.NotEqual(0, (await recovering.RunAsync(["account", "recover", "--email", email], stdin: newCode + "\n", environment: new Dictionary<string, string?> { ["POLYDEV_NEW_PASSWORD"] = "a password long enough" })).ExitCode);
        var lastCode = changed.GetProperty("recoveryCode").GetString()!;
        var recovered = (await recovering.RunAsync(["account", "recover", "--email", email], stdin: lastCode + "\n", environment: new Dictionary<string, string?>
        {
            ["POLYDEV_NEW_PASSWORD"] = "the recovered password",
        })).Succeeded();
        recovering.Session = recovered.ExportedSession();
        Assert.Contains("re-encrypted under a new key", recovered.Stderr, StringComparison.Ordinal);
        await AssertNothingOpensWithAsync(db, thirdKey, userId, envelopeCount: 4);
        Assert.Contains("a message that outlives its key", (await recovering.RunAsync("chats", "show", chat)).Succeeded().Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sign_in_after_an_unfinished_recovery_rotates_the_keys_first()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        using var cli = new Cli(server.Url);
        var password = Needles.Canary("password");
        var email = $"unfinished-{Guid.NewGuid():N}@example.com";
        await cli.SignupAsync(email, password);
        var chat = (await cli.RunAsync("chats", "new", "Before the reset", "--json")).Succeeded().Json().GetProperty("id").GetString()!;

        // What a reset leaves when the client stops before rotating (killed, offline): the flag, and no recovery code.
        await using var db = new SqliteConnection($"Data Source={server.SqlitePath}");
        await db.OpenAsync();
        await using (var command = db.CreateCommand())
        {
            command.CommandText = "UPDATE users SET key_rotation_required = 1, recovery_auth_hash = NULL, recovery_user_key = NULL";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var (userId, oldKey) = await StoredKeys.UserKeyAsync(db, password);
        // The flag was written behind the server's back, which the server sees once the session it keeps in memory for
        // the CLI's token is older than Accounts:SessionCacheLifetime (2 s; a reset through the server is seen at once).
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Contains("must be rotated", (await cli.RunAsync("chats", "append", chat, "under the old key")).FailedWithOneLine(), StringComparison.Ordinal);

        var login = (await cli.RunWithPasswordAsync(password, "login", "--email", email)).Succeeded();
        Assert.Contains("keys are rotated now", login.Stderr, StringComparison.Ordinal);
        Assert.Matches("([A-Z2-7]{4}-){7}[A-Z2-7]{4}", login.Stderr);
        cli.Session = login.ExportedSession();
        await AssertNothingOpensWithAsync(db, oldKey, userId, envelopeCount: 2);
        (await cli.RunAsync("chats", "append", chat, "under the new key")).Succeeded();
        Assert.Contains("under the new key", (await cli.RunAsync("chats", "show", chat)).Succeeded().Stdout, StringComparison.Ordinal);
    }

    /// <summary>No envelope of the <paramref name="envelopeCount"/> under the user key — the private key, any title, message or credential — opens with <paramref name="key"/>.</summary>
    private static async Task AssertNothingOpensWithAsync(SqliteConnection db, byte[] key, Guid userId, int envelopeCount)
    {
        var envelopes = new List<(string Kind, Guid Id, string? Binding, byte[] Envelope)>();
        await using var command = db.CreateCommand();
        command.CommandText = """
            SELECT 'user.private-key', id, NULL, private_key FROM users
            UNION ALL SELECT 'chat.title', id, NULL, title FROM chats
            UNION ALL SELECT 'chat.message', id, chat_id, body FROM chat_messages
            UNION ALL SELECT 'credential.secret', id, provider, secret FROM provider_credentials
            """;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                envelopes.Add((reader.GetString(0), Guid.Parse(reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2), (byte[])reader[3]));
            }
        }

        Assert.Equal(envelopeCount, envelopes.Count);
        foreach (var (kind, id, binding, envelope) in envelopes)
        {
            // Bound or not (records sealed before binding had none): neither context opens.
            Assert.ThrowsAny<CryptographicException>(() => Envelope.Open(key, envelope, new EnvelopeContext(kind, userId, id, binding)));
            Assert.ThrowsAny<CryptographicException>(() => Envelope.Open(key, envelope, new EnvelopeContext(kind, userId, id)));
        }
    }
}
