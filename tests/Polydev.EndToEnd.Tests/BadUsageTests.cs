using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests;

/// <summary>Mistakes end in one line on stderr that says what to do, and a non-zero exit code.</summary>
public sealed class BadUsageTests(BadUsageTests.SignedInUser user) : IClassFixture<BadUsageTests.SignedInUser>
{
    [Fact]
    public async Task Credentials_add_with_no_stdin_and_no_terminal_asks_for_a_pipe()
    {
        var line = (await user.Cli.RunAsync(["credentials", "add", "openai"], stdin: "")).FailedWithOneLine(exitCode: 2);
        Assert.Contains("no API key on stdin", line, StringComparison.Ordinal);
        Assert.DoesNotContain("openai", (await user.Cli.RunAsync("credentials", "list")).Succeeded().Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_add_refuses_a_bad_endpoint_before_storing_anything()
    {
        var badUrl = (await user.Cli.RunAsync(["credentials", "add", "anthropic", "--base-url", "ftp://gateway.example"], stdin: "sk-key")).FailedWithOneLine(exitCode: 2);
        Assert.Contains("--base-url must be an absolute http or https URL", badUrl, StringComparison.Ordinal);
        var noCa = (await user.Cli.RunAsync(["credentials", "add", "anthropic", "--base-url", "https://gateway.example", "--ca-file", "/nonexistent/ca.pem"], stdin: "sk-key")).FailedWithOneLine(exitCode: 2);
        Assert.Contains("--ca-file /nonexistent/ca.pem does not exist", noCa, StringComparison.Ordinal);
        var stored = (await user.Cli.RunAsync("credentials", "list", "--provider", "anthropic", "--json")).Succeeded().Json();
        Assert.Equal(0, stored.GetArrayLength());
    }

    [Fact]
    public async Task Run_refuses_bad_options_a_missing_credential_and_a_server_without_sandboxes_in_one_line_each()
    {
        Assert.Contains("--timeout", (await user.Cli.RunAsync("run", "--provider", "anthropic", "--timeout", "0", "hi")).FailedWithOneLine(exitCode: 2), StringComparison.Ordinal);
        Assert.Contains("--base-url", (await user.Cli.RunAsync("run", "--provider", "anthropic", "--base-url", "ftp://example.com", "hi")).FailedWithOneLine(exitCode: 2), StringComparison.Ordinal);
        Assert.Contains("does not exist", (await user.Cli.RunAsync("run", "--provider", "anthropic", "--ca-file", "/nonexistent/ca.pem", "hi")).FailedWithOneLine(exitCode: 2), StringComparison.Ordinal);
        Assert.Contains("not both", (await user.Cli.RunAsync("run", "--provider", "anthropic", "--chat", "x", "--continue", "hi")).FailedWithOneLine(exitCode: 2), StringComparison.Ordinal);
        // Values outside an argument's fixed set are the parser's own refusals (exit 1, with the values it takes).
        var shell = await user.Cli.RunAsync("completion", "powershell");
        Assert.Equal((1, true), (shell.ExitCode, shell.Stderr.Contains("'powershell' not recognized", StringComparison.Ordinal)));
        var format = await user.Cli.RunAsync("chats", "export", "x", "--format", "html");
        Assert.Equal((1, true), (format.ExitCode, format.Stderr.Contains("'html' not recognized", StringComparison.Ordinal)));
        Assert.Contains("the prompt is empty", (await user.Cli.RunAsync(["run", "--provider", "anthropic", "-"], stdin: "")).FailedWithOneLine(exitCode: 2), StringComparison.Ordinal);
        Assert.Contains("no anthropic credential", (await user.Cli.RunAsync("run", "--provider", "anthropic", "hi")).FailedWithOneLine(), StringComparison.Ordinal);

        // This test server runs no sandboxes: the server's own words reach the user, and nothing was started.
        (await user.Cli.RunAsync(["credentials", "add", "google"], stdin: "gm-key")).Succeeded();
        Assert.Contains("runs no sandboxes", (await user.Cli.RunAsync("run", "--provider", "google", "hi")).FailedWithOneLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_chat_is_named_as_such()
    {
        var line = (await user.Cli.RunAsync("chats", "show", "no such chat")).FailedWithOneLine();
        Assert.Equal("polydev chats show: no chat has this id, id prefix or title; see `polydev chats list`.", line);

        var byId = (await user.Cli.RunAsync("chats", "append", Guid.NewGuid().ToString(), "text")).FailedWithOneLine();
        Assert.Contains("No chat with this id", byId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_credential_id_is_named_as_such()
    {
        var line = (await user.Cli.RunAsync("credentials", "remove", "ffffffff")).FailedWithOneLine();
        Assert.Contains("no credential has this id", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_down_names_the_url()
    {
        using var cli = new Cli($"http://127.0.0.1:{ServerProcess.FreePort()}");
        var line = (await cli.RunWithPasswordAsync("pw", "login", "--email", "x@example.com")).FailedWithOneLine();
        Assert.Contains($"cannot reach the Polydev server at {cli.Server}", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Not_signed_in_says_to_log_in()
    {
        using var cli = new Cli(user.Server.Url);
        Assert.Contains("polydev login", (await cli.RunAsync("credentials", "list")).FailedWithOneLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_session_without_password_says_to_unlock()
    {
        var session = user.Cli.Session;
        try
        {
            user.Cli.Session = Convert.ToBase64String(new byte[32]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            Assert.Contains("polydev unlock", (await user.Cli.RunAsync("chats", "list")).FailedWithOneLine(), StringComparison.Ordinal);
        }
        finally
        {
            user.Cli.Session = session;
        }
    }

    [Fact]
    public async Task The_token_is_never_sent_to_another_server()
    {
        await using var other = new FakeServer(new Dictionary<string, string>());
        var line = (await user.Cli.RunAsync("chats", "list", "--server", other.Url)).FailedWithOneLine();
        Assert.Contains($"you are signed in to {user.Server.Url}", line, StringComparison.Ordinal);
        Assert.Empty(other.Requests);
    }

    [Fact]
    public async Task Missing_email_and_no_terminal_for_a_password_are_usage_errors()
    {
        using var cli = new Cli(user.Server.Url);
        Assert.Contains("--email", (await cli.RunAsync("login")).FailedWithOneLine(exitCode: 2), StringComparison.Ordinal);
        Assert.Contains("POLYDEV_PASSWORD", (await cli.RunAsync("signup", "--email", "nobody@example.com")).ErrorLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_password_shorter_than_the_web_clients_minimum_is_refused_before_anything_is_made()
    {
        using var cli = new Cli(user.Server.Url);
        var email = $"short-{Guid.NewGuid():N}@example.com";
        var refused = await cli.RunAsync(["signup", "--email", email], environment: new Dictionary<string, string?> { ["POLYDEV_PASSWORD"] = "7 chars" });
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("at least 8 characters", refused.ErrorLines[^1], StringComparison.Ordinal);
        Assert.False(File.Exists(cli.StatePath));
        var login = await cli.RunAsync(["login", "--email", email], environment: new Dictionary<string, string?> { ["POLYDEV_PASSWORD"] = "7 chars" });
        Assert.NotEqual(0, login.ExitCode); // no account was made
    }

    /// <summary>One server and one signed-in, unlocked user for all these tests: sign-up costs a PBKDF2 run.</summary>
    public sealed class SignedInUser : IAsyncLifetime
    {
        public ServerProcess Server { get; private set; } = null!;

        public Cli Cli { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Server = await ServerProcess.StartSqliteAsync();
            Cli = new Cli(Server.Url);
            await Cli.SignupAsync("bad-usage@example.com", "a fine password");
        }

        public async Task DisposeAsync()
        {
            Cli.Dispose();
            await Server.DisposeAsync();
        }
    }
}
