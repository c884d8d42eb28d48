using System.Reflection;
using Polydev.Client.LoginSessions;
using Polydev.Contracts.Login;

namespace Polydev.Client.Tests.LoginSessions;

/// <summary>Issue 15: how a login session ended, in words, for <c>polydev login-sessions start --wait</c> and <c>end</c>.</summary>
public sealed class LoginSessionEndingTests
{
    public static TheoryData<string> Reasons() =>
        [.. typeof(LoginSessionEndReasons).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!)];

    [Theory]
    [MemberData(nameof(Reasons))]
    public void Every_reason_the_server_gives_has_its_own_sentence(string reason)
    {
        var sentence = LoginSessionEnding.Sentence(reason);

        Assert.NotEqual(LoginSessionEnding.Sentence("a_reason_from_a_newer_server"), sentence);
        Assert.DoesNotContain("_", sentence, StringComparison.Ordinal);
        Assert.EndsWith(".", sentence, StringComparison.Ordinal);
        Assert.Equal(reason == LoginSessionEndReasons.EndedByUser, LoginSessionEnding.ByUser(reason));
    }

    [Fact]
    public void The_reasons_people_meet_most_are_said_plainly()
    {
        Assert.Equal("you ended it.", LoginSessionEnding.Sentence(LoginSessionEndReasons.EndedByUser));
        Assert.Equal("a message between your viewer and the sandbox was changed in transit; the session was refused.", LoginSessionEnding.Sentence(LoginSessionEndReasons.ChannelRefused));
        Assert.Contains("time limit", LoginSessionEnding.Sentence(LoginSessionEndReasons.TimeLimit), StringComparison.Ordinal);
        Assert.Contains("idle", LoginSessionEnding.Sentence(LoginSessionEndReasons.Idle), StringComparison.Ordinal);
        Assert.Contains("sandbox was lost", LoginSessionEnding.Sentence(LoginSessionEndReasons.SandboxLost), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_or_missing_reason_is_not_a_success_and_is_shown_as_given()
    {
        Assert.Equal("a reason from a newer server.", LoginSessionEnding.Sentence("a_reason_from_a_newer_server"));
        Assert.Equal("the server gave no reason.", LoginSessionEnding.Sentence(null));
        Assert.False(LoginSessionEnding.ByUser(null));
        Assert.False(LoginSessionEnding.ByUser("ENDED_BY_USER"));
        Assert.Equal(("-", "sandbox lost"), (LoginSessionEnding.Short(null), LoginSessionEnding.Short(LoginSessionEndReasons.SandboxLost)));
    }
}
