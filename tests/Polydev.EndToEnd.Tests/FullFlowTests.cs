using System.Text.RegularExpressions;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests;

/// <summary>The whole life of an account through the real binary: sign-up to logout, with lock/unlock and a password change.</summary>
public sealed partial class FullFlowTests
{
    [Fact]
    public async Task Signup_vault_lock_unlock_password_change_and_logout()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        using var cli = new Cli(server.Url);
        const string email = "flow@example.com";
        const string password = "correct horse battery staple";
        const string newPassword = "Tr0ub4dor&3 é";

        // Sign-up in human mode: the warning first, the recovery code once on stderr, the export line alone on stdout.
        var signup = (await cli.RunWithPasswordAsync(password, "signup", "--email", email)).Succeeded();
        cli.Session = signup.ExportedSession();
        var warning = signup.Stderr.IndexOf("gone for good", StringComparison.Ordinal);
        var code = RecoveryCodePattern().Match(signup.Stderr);
        Assert.True(warning >= 0 && code.Success && warning < code.Index, signup.Stderr);
        Assert.Contains("will not be shown again", signup.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(code.Value, signup.Stdout, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cli.StatePath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cli.Home));
        }

        // A credential, its secret on stdin; listed by label, never with the secret.
        const string secret = "sk-ant-flow-0123456789";
        (await cli.RunAsync(["credentials", "add", "anthropic", "--label", "work key"], stdin: secret + "\n")).Succeeded();
        var credentials = (await cli.RunAsync("credentials", "list")).Succeeded();
        Assert.Contains("work key", credentials.Stdout, StringComparison.Ordinal);
        Assert.Contains("anthropic", credentials.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, credentials.Stdout + credentials.Stderr, StringComparison.Ordinal);

        // A chat: new, append (argument and stdin), list, show.
        var chatId = (await cli.RunAsync("chats", "new", "Flow chat", "--json")).Succeeded().Json().GetProperty("id").GetString()!;
        (await cli.RunAsync("chats", "append", "Flow chat", "first message")).Succeeded();
        (await cli.RunAsync(["chats", "append", chatId[..13], "-"], stdin: "second message\nwith two lines\n")).Succeeded();
        (await cli.RunAsync("chats", "append", chatId, "@third, not a response file")).Succeeded();
        var list = (await cli.RunAsync("chats", "list")).Succeeded();
        Assert.Contains("Flow chat", list.Stdout, StringComparison.Ordinal);
        Assert.Contains(chatId[..8] + " ", list.Stdout, StringComparison.Ordinal); // the shortest unique start of its id

        var show = (await cli.RunAsync("chats", "show", "Flow chat", "--json")).Succeeded().Json();
        Assert.Equal("Flow chat", show.GetProperty("title").GetString());
        Assert.Equal(
            ["first message", "second message\nwith two lines", "@third, not a response file"],
            show.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.All(show.GetProperty("messages").EnumerateArray(), m => Assert.Equal("user", m.GetProperty("role").GetString()));

        // Locked: vault verbs refuse with the unlock hint, until unlock hands out a new session.
        (await cli.RunAsync("lock")).Succeeded();
        Assert.Contains("polydev unlock", (await cli.RunAsync("chats", "list")).FailedWithOneLine(), StringComparison.Ordinal);
        Assert.Contains("\"keyCache\":null", await File.ReadAllTextAsync(cli.StatePath), StringComparison.Ordinal);
        cli.Session = (await cli.RunWithPasswordAsync(password, "unlock")).Succeeded().ExportedSession();
        Assert.Contains("Flow chat", (await cli.RunAsync("chats", "list")).Succeeded().Stdout, StringComparison.Ordinal);

        // Password change: the same user key re-wrapped, so this session and the data stay as they were.
        (await cli.RunAsync(["password", "change"], environment: new Dictionary<string, string?>
        {
            ["POLYDEV_PASSWORD"] = password,
            ["POLYDEV_NEW_PASSWORD"] = newPassword,
        })).Succeeded();
        Assert.Contains("first message", (await cli.RunAsync("chats", "show", chatId)).Succeeded().Stdout, StringComparison.Ordinal);

        var oldLogin = await cli.RunWithPasswordAsync(password, "login", "--email", email);
        Assert.Equal(1, oldLogin.ExitCode);
        Assert.Contains("password is wrong", oldLogin.Stderr, StringComparison.Ordinal);

        cli.Session = (await cli.RunWithPasswordAsync(newPassword, "login", "--email", email)).Succeeded().ExportedSession();
        var after = (await cli.RunAsync("chats", "show", "Flow chat")).Succeeded();
        Assert.Contains("second message\nwith two lines", after.Stdout, StringComparison.Ordinal);
        Assert.Contains("work key", (await cli.RunAsync("credentials", "list")).Succeeded().Stdout, StringComparison.Ordinal);

        // Logout revokes the token and removes the state.
        var state = await File.ReadAllTextAsync(cli.StatePath);
        (await cli.RunAsync("logout")).Succeeded();
        Assert.False(File.Exists(cli.StatePath));
        Assert.Contains("not signed in", (await cli.RunAsync("chats", "list")).FailedWithOneLine(), StringComparison.Ordinal);
        await File.WriteAllTextAsync(cli.StatePath, state);
        Assert.Contains("revoked", (await cli.RunAsync("chats", "list")).FailedWithOneLine(), StringComparison.Ordinal);

        // The state never held the passwords.
        Assert.DoesNotContain(password, state, StringComparison.Ordinal);
        Assert.DoesNotContain(newPassword, state, StringComparison.Ordinal);
    }

    [GeneratedRegex("[A-Z2-7]{4}(-[A-Z2-7]{4}){7}")]
    private static partial Regex RecoveryCodePattern();
}
