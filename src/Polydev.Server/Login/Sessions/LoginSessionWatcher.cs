using Microsoft.Extensions.Logging;
using Polydev.Agent.Protocol;
using Polydev.Contracts.Login;
using Polydev.Server.Pools;
using Polydev.Server.Sandboxes.Agents;

namespace Polydev.Server.Login.Sessions;

/// <summary>
/// Follows each login session to its end: the agent's exit (time limit, idle, the viewer's end, a refused channel), the
/// agent lost, no opening within the open window, the server's own time limit as a backstop, or an end asked for
/// through the API (the agent is cancelled, so it tells the viewer). Then the sandbox is destroyed, never reused.
/// </summary>
public sealed class LoginSessionWatcher(
    SandboxAllocator sandboxes, LoginSessionAccess access, LoginSessionMetrics metrics, TimeProvider clock, ILogger<LoginSessionWatcher> logger)
{
    // The agent measures the time limit itself; the server's backstop strikes a little later so the agent's own end wins.
    private static readonly TimeSpan Backstop = TimeSpan.FromSeconds(15);

    public TimeProvider Clock => clock;

    public LoginSessionMetrics Metrics => metrics;

    public void Watch(LiveLoginSession session, bool warm)
    {
        metrics.Started.Inc();
        metrics.Active.Inc();
        LoginSessionLog.Started(logger, session.Id, session.UserId, session.Sandbox.Id, warm);
        _ = FollowAsync(session);
    }

    public void Opened(LiveLoginSession session) => LoginSessionLog.Opened(logger, session.Id);

    /// <summary>Ends the session with <paramref name="reason"/> unless it already ended; waits until its sandbox is gone.</summary>
    public async Task EndAsync(LiveLoginSession session, string reason)
    {
        if (session.TryEnd(reason, clock.GetUtcNow()))
        {
            await CloseAsync(session, reason);
        }
    }

    private async Task FollowAsync(LiveLoginSession session)
    {
        var agent = session.Sandbox.Agent;
        while (true)
        {
            // Waiting: the open window runs; once open, the server's backstop to the time limit.
            bool waiting = session.State == LoginSessionStates.Waiting;
            var deadline = waiting ? session.OpenBy : session.ExpiresAt + Backstop;
            using var timer = new CancellationTokenSource(Max(deadline - clock.GetUtcNow(), TimeSpan.Zero), clock);
            var elapsed = Task.Delay(Timeout.Infinite, timer.Token);
            var first = await Task.WhenAny(agent.Completion, session.Ended, elapsed);
            if (first == session.Ended)
            {
                return;
            }

            if (first == agent.Completion)
            {
                var reason = Reason(await agent.Completion);
                if (reason == LoginSessionEndReasons.Connected)
                {
                    // Kept before the end is recorded, so whoever sees "connected" can fetch it.
                    session.Credential = agent.Signals.Credential;
                    reason = session.Credential is null ? LoginSessionEndReasons.LoginFailed : reason;
                }

                await EndAsync(session, reason);
                return;
            }

            if (waiting && session.State == LoginSessionStates.Waiting)
            {
                await EndAsync(session, LoginSessionEndReasons.NotOpened);
                return;
            }

            if (!waiting)
            {
                await EndAsync(session, LoginSessionEndReasons.TimeLimit);
                return;
            }

            // Opened within the window: wait on for the time limit.
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private async Task CloseAsync(LiveLoginSession session, string reason)
    {
        var agent = session.Sandbox.Agent;
        if (!agent.HasEnded)
        {
            // The agent sends its own end signal (sealed, for the viewer) and exits.
            await agent.CancelAsync();
        }

        await sandboxes.RetireAsync(session.Sandbox, "login_" + reason, CancellationToken.None);
        await access.RevokeEgressAsync(session.UserId, session.EgressTokenId);
        var duration = (session.EndedAt ?? clock.GetUtcNow()) - session.CreatedAt;
        metrics.Active.Dec();
        metrics.Ended.WithLabels(reason).Inc();
        if (session.Connect is { } provider)
        {
            metrics.Connects.WithLabels(provider, reason).Inc();
        }

        metrics.Duration.Observe(duration.TotalSeconds);
        LoginSessionLog.Ended(logger, session.Id, reason, duration.TotalSeconds);
    }

    internal static string Reason(AgentEnd end) => end.Exit?.Reason switch
    {
        AgentExitReason.Cancelled => LoginSessionEndReasons.EndedByUser,
        AgentExitReason.TimeLimit => LoginSessionEndReasons.TimeLimit,
        AgentExitReason.Idle => LoginSessionEndReasons.Idle,
        AgentExitReason.ChannelRefused => LoginSessionEndReasons.ChannelRefused,
        AgentExitReason.JobRefused => LoginSessionEndReasons.OpeningRefused,
        AgentExitReason.StreamFailed => LoginSessionEndReasons.StreamFailed,
        AgentExitReason.Connected => LoginSessionEndReasons.Connected,
        AgentExitReason.CredentialRefused => LoginSessionEndReasons.CredentialRefused,
        AgentExitReason.LoginFailed => LoginSessionEndReasons.LoginFailed,
        null => LoginSessionEndReasons.SandboxLost,
        _ => LoginSessionEndReasons.StreamFailed,
    };
}
