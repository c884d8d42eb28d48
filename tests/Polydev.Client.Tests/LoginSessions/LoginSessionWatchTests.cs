using System.Net;
using Polydev.Client.Api;
using Polydev.Client.LoginSessions;
using Polydev.Contracts.Login;

namespace Polydev.Client.Tests.LoginSessions;

/// <summary>Issue 15: <c>start --wait</c> follows the session through its states until it ends.</summary>
public sealed class LoginSessionWatchTests
{
    private static readonly Guid Id = Guid.CreateVersion7();

    [Fact]
    public async Task Each_state_is_seen_once_and_the_ended_session_is_the_answer()
    {
        var answers = new Queue<LoginSessionResponse>([Session("waiting"), Session("waiting"), Session("open"), Session("open"), Session("ended", LoginSessionEndReasons.Idle)]);
        var seen = new List<string>();

        var ended = await new LoginSessionWatch(_ => Task.FromResult(answers.Dequeue()), TimeSpan.Zero).UntilEndedAsync(s => seen.Add(s.State), CancellationToken.None);

        Assert.Equal(["waiting", "open", "ended"], seen);
        Assert.Equal(LoginSessionEndReasons.Idle, ended.EndReason);
        Assert.Empty(answers);
    }

    [Fact]
    public async Task A_session_the_server_no_longer_knows_ends_the_wait_in_one_sentence()
    {
        var watch = new LoginSessionWatch(_ => throw new ApiException(HttpStatusCode.NotFound, "No login session with this id."), TimeSpan.Zero);

        var error = await Assert.ThrowsAsync<CliException>(() => watch.UntilEndedAsync(_ => { }, CancellationToken.None));

        Assert.Contains("no longer knows this login session", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_C_stops_the_wait()
    {
        using var interrupt = new CancellationTokenSource();
        var watch = new LoginSessionWatch(_ => Task.FromResult(Session("open")), TimeSpan.FromMinutes(1));

        var waiting = watch.UntilEndedAsync(_ => interrupt.Cancel(), interrupt.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    private static LoginSessionResponse Session(string state, string? reason = null) =>
        new(Id, state, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(10), null, null, reason is null ? null : DateTimeOffset.UtcNow, reason);
}
