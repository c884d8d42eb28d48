using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests;

/// <summary>Recovery with the recovery code, API tokens, and account deletion.</summary>
public sealed class AccountLifecycleTests
{
    [Fact]
    public async Task Recover_with_the_code_then_delete_the_account()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        using var cli = new Cli(server.Url);
        const string email = "lifecycle@example.com";
        var signup = await cli.SignupAsync(email, "the forgotten password");
        var recoveryCode = signup.GetProperty("recoveryCode").GetString()!;
        (await cli.RunAsync("chats", "new", "Kept through recovery")).Succeeded();

        // API tokens: shown once, listed without the token, revoked by id prefix.
        var token = (await cli.RunAsync("tokens", "create", "ci", "--days", "7", "--json")).Succeeded().Json();
        Assert.StartsWith("pd_t_", token.GetProperty("token").GetString(), StringComparison.Ordinal);
        var tokenId = token.GetProperty("id").GetString()!;
        var tokens = (await cli.RunAsync("tokens", "list")).Succeeded().Stdout;
        Assert.Contains(tokenId[..8] + " ", tokens, StringComparison.Ordinal); // its shortest unique start
        Assert.DoesNotContain(tokenId, tokens, StringComparison.Ordinal);
        Assert.DoesNotContain(token.GetProperty("token").GetString()!, tokens, StringComparison.Ordinal);
        (await cli.RunAsync("tokens", "revoke", tokenId[..20])).Succeeded();
        Assert.DoesNotContain(tokenId[..8], (await cli.RunAsync("tokens", "list")).Succeeded().Stdout, StringComparison.Ordinal);

        // A new machine that knows only the e-mail and the recovery code (typed in lower case, without dashes).
        using var newMachine = new Cli(server.Url);
        var typed = recoveryCode.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        var recovered = (await newMachine.RunAsync(["account", "recover", "--email", email], stdin: typed + "\n", environment: new Dictionary<string, string?>
        {
            ["POLYDEV_NEW_PASSWORD"] = "the new password",
        })).Succeeded();
        newMachine.Session = recovered.ExportedSession();
        Assert.Contains("Kept through recovery", (await newMachine.RunAsync("chats", "list")).Succeeded().Stdout, StringComparison.Ordinal);

        // Recovery signed the old machine out.
        Assert.Contains("polydev login", (await cli.RunAsync("chats", "list")).FailedWithOneLine(), StringComparison.Ordinal);

        // Issue 13, finding 14: the code just used is spent; the new one recovery showed (once, on stderr) works.
        using var thirdMachine = new Cli(server.Url);
        var reused = await thirdMachine.RunAsync(["account", "recover", "--email", email], stdin: typed + "\n", environment: new Dictionary<string, string?>
        {
            ["POLYDEV_NEW_PASSWORD"] = "an attacker's password",
        });
        Assert.NotEqual(0, reused.ExitCode);
        var newCode = System.Text.RegularExpressions.Regex.Match(recovered.Stderr, "([A-Z2-7]{4}-){7}[A-Z2-7]{4}").Value;
        Assert.NotEqual("", newCode);
        Assert.NotEqual(recoveryCode, newCode);
        using var fourthMachine = new Cli(server.Url);
        var again = (await fourthMachine.RunAsync(["account", "recover", "--email", email], stdin: newCode + "\n", environment: new Dictionary<string, string?>
        {
            ["POLYDEV_NEW_PASSWORD"] = "the newest password",
        })).Succeeded();
        fourthMachine.Session = again.ExportedSession();
        Assert.Contains("Kept through recovery", (await fourthMachine.RunAsync("chats", "list")).Succeeded().Stdout, StringComparison.Ordinal);

        // Deletion needs a confirmation: without a terminal, --yes.
        Assert.Contains("--yes", (await fourthMachine.RunWithPasswordAsync("the newest password", "account", "delete")).FailedWithOneLine(exitCode: 2), StringComparison.Ordinal);
        (await fourthMachine.RunWithPasswordAsync("the newest password", "account", "delete", "--yes")).Succeeded();
        Assert.False(File.Exists(fourthMachine.StatePath));
        var login = await fourthMachine.RunWithPasswordAsync("the newest password", "login", "--email", email);
        Assert.Contains("password is wrong", login.Stderr, StringComparison.Ordinal);
    }
}
