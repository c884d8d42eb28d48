using System.CommandLine;

namespace Polydev.Client.Tests.LoginSessions;

/// <summary>Issue 15: the command line of <c>polydev login-sessions start|list|end</c>, and its completion.</summary>
public sealed class LoginSessionsVerbTests
{
    private static readonly RootCommand Root = CreateRoot();

    [Theory]
    [InlineData("login-sessions start")]
    [InlineData("login-sessions start --wait --no-browser --json")]
    [InlineData("login-sessions start --server http://127.0.0.1:9 --wait")]
    [InlineData("login-sessions list --json")]
    [InlineData("login-sessions end 0193a1b2")]
    public void Accepted(string line) => Assert.Empty(Root.Parse(line).Errors);

    [Theory]
    [InlineData("login-sessions end")]
    [InlineData("login-sessions end a b")]
    [InlineData("login-sessions start 0193a1b2")]
    [InlineData("login-sessions list --wait")]
    [InlineData("login-sessions stop")]
    public void Refused_by_the_parser(string line) => Assert.NotEmpty(Root.Parse(line).Errors);

    [Fact]
    public void The_verb_and_its_sub_verbs_and_options_complete()
    {
        Assert.Contains("login-sessions", Completions("log"));
        // Besides the sub-verbs come the help options (-h, /?, …): only the words count here.
        Assert.Equal(["end", "list", "start"], Completions("login-sessions ").Where(c => char.IsLetter(c[0])).Order(StringComparer.Ordinal));
        Assert.Contains("--no-browser", Completions("login-sessions start --"));
        Assert.Contains("--wait", Completions("login-sessions start --"));
    }

    private static List<string> Completions(string line) => [.. Root.Parse(line).GetCompletions(line.Length).Select(c => c.Label)];

    private static RootCommand CreateRoot()
    {
        var root = new RootCommand();
        ClientVerbs.AddTo(root, (_, _) => { });
        return root;
    }
}
