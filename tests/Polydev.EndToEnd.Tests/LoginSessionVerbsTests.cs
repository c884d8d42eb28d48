using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests;

/// <summary>
/// Issue 15: <c>polydev login-sessions start|list|end</c> against a real server that runs no sandboxes: every mistake
/// and refusal is one line on stderr and a non-zero exit code. (Sessions themselves need the login image: Login/.)
/// </summary>
public sealed class LoginSessionVerbsTests(BadUsageTests.SignedInUser user) : IClassFixture<BadUsageTests.SignedInUser>
{
    [Fact]
    public async Task Start_on_a_server_without_sandboxes_says_so_in_the_servers_words_and_starts_nothing()
    {
        foreach (var start in (string[][])[["login-sessions", "start", "--no-browser"], ["login-sessions", "start", "--wait", "--json"]])
        {
            var line = (await user.Cli.RunAsync(start)).FailedWithOneLine();
            Assert.StartsWith("polydev login-sessions start: This server runs no sandboxes", line, StringComparison.Ordinal);
        }

        var listed = (await user.Cli.RunAsync("login-sessions", "list", "--json")).Succeeded();
        Assert.Equal(0, listed.Json().GetArrayLength());
        Assert.Equal("No login sessions. Start one with: polydev login-sessions start", (await user.Cli.RunAsync("login-sessions", "list")).Succeeded().Stdout.Trim());
    }

    [Fact]
    public async Task Ending_an_unknown_session_names_it_as_such()
    {
        foreach (var id in (string[])["ffffffff", Guid.NewGuid().ToString()])
        {
            var line = (await user.Cli.RunAsync("login-sessions", "end", id)).FailedWithOneLine();
            Assert.Equal("polydev login-sessions end: no login session has this id or id prefix; see `polydev login-sessions list`.", line);
        }
    }

    [Fact]
    public async Task End_without_an_id_is_the_parsers_refusal()
    {
        var missing = await user.Cli.RunAsync("login-sessions", "end");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("Required argument missing", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Not_signed_in_says_to_log_in()
    {
        using var cli = new Cli(user.Server.Url);
        foreach (var verb in (string[][])[["login-sessions", "start", "--no-browser"], ["login-sessions", "list"], ["login-sessions", "end", "ffffffff"]])
        {
            Assert.Contains("polydev login --email", (await cli.RunAsync(verb)).FailedWithOneLine(), StringComparison.Ordinal);
        }
    }
}
