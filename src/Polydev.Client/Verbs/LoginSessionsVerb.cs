using System.CommandLine;
using System.Globalization;
using Polydev.Client.LoginSessions;
using Polydev.Client.Terminal;
using Polydev.Contracts.Login;

namespace Polydev.Client.Verbs;

/// <summary>
/// <c>polydev login-sessions start|list|end</c>: a remote browser in a login sandbox, shown by the web viewer. The
/// terminal starts, follows and ends sessions; the viewer makes the session key and seals everything under it, so
/// this process never holds a key that opens the session (docs/login-sessions.md).
/// </summary>
internal static class LoginSessionsVerb
{
    public static Command Create(GlobalOptions globals)
    {
        var wait = new Option<bool>("--wait") { Description = "Stay until the session ends and say how it ended (exit 0 only when you ended it)." };
        var noBrowser = new Option<bool>("--no-browser") { Description = "Print the viewer's link instead of opening it in your browser." };
        var start = new Command("start", "Start a login session and open its viewer in your browser.") { wait, noBrowser };
        VerbAction.Set(start, globals, context => StartAsync(context, context.Parse.GetValue(wait), context.Parse.GetValue(noBrowser)));

        var list = new Command("list", "Your login sessions, live and recently ended.");
        VerbAction.Set(list, globals, ListAsync);

        var id = new Argument<string>("ID") { Description = "The session's id, or a unique start of it." };
        var end = new Command("end", "End a login session; its sandbox is destroyed.") { id };
        VerbAction.Set(end, globals, context => EndAsync(context, context.Parse.GetRequiredValue(id)));

        return new Command("login-sessions", "Remote browser sessions in a login sandbox, streamed to the web viewer.") { start, list, end };
    }

    private static async Task<int> StartAsync(VerbContext context, bool wait, bool noBrowser)
    {
        using var api = context.SignedInApi(out var state);
        var created = await api.StartLoginSessionAsync(context.Cancellation);
        var viewer = ViewerAddress.For(state.Server, created.Id);
        var noBrowserReason = noBrowser ? "--no-browser was given" : Browser.Here.Open(viewer);
        if (noBrowserReason is null)
        {
            Output.Note($"Opened the viewer in your browser: {viewer.AbsoluteUri}");
        }
        else
        {
            context.Output.Line(viewer.AbsoluteUri);
            var link = context.Output.Json ? "the viewerUrl" : "the link above";
            Output.Note($"Open {link} in a browser signed in to this server before {Clock(created.OpenBy)} (no browser opened: {noBrowserReason}).");
        }

        context.Output.Line($"Login session {created.Id:D}, expires {Output.When(created.ExpiresAt)}; end it with: polydev login-sessions end {created.Id:D}");
        // Never the TURN credentials or the sandbox's key: the viewer fetches its own when it attaches.
        var started = new StartedSession(created.Id, viewer.AbsoluteUri, noBrowserReason is null, created.OpenBy, created.ExpiresAt, created.IdleSeconds);
        if (!wait)
        {
            context.Output.Result(started);
            return ExitCodes.Success;
        }

        return await WaitAsync(context, LoginSessionWatch.Of(api, created.Id), started);
    }

    private static async Task<int> WaitAsync(VerbContext context, LoginSessionWatch watch, StartedSession started)
    {
        if (!context.Output.Json)
        {
            Output.Note("Waiting for the session to end (Ctrl+C stops waiting; the session goes on).");
        }

        LoginSessionResponse ended;
        try
        {
            ended = await watch.UntilEndedAsync(session => Changed(context, session), context.Cancellation);
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            throw new CliException($"stopped waiting; login session {started.Id:D} goes on until it ends or you end it: polydev login-sessions end {started.Id:D}", ExitCodes.Interrupted);
        }

        var words = $"login session {started.Id:D} ended: {LoginSessionEnding.Sentence(ended.EndReason)}";
        context.Output.Result(started with { Ended = ended, Ending = Capitalized(words) });
        if (!LoginSessionEnding.ByUser(ended.EndReason))
        {
            throw new CliException(words);
        }

        context.Output.Line(Capitalized(words));
        return ExitCodes.Success;
    }

    private static void Changed(VerbContext context, LoginSessionResponse session)
    {
        if (session.State == LoginSessionStates.Open && !context.Output.Json)
        {
            Output.Note("The viewer opened the session.");
        }
    }

    private static async Task<int> ListAsync(VerbContext context)
    {
        using var api = context.SignedInApi(out _);
        var sessions = await api.ListLoginSessionsAsync(context.Cancellation);
        var shortId = IdPrefix.Shortest(sessions.Select(s => s.Id));
        context.Output.List(
            sessions,
            "No login sessions. Start one with: polydev login-sessions start",
            ["ID", "STATE", "PATH", "ICE", "CREATED", "EXPIRES/ENDED", "END REASON"],
            s => [shortId(s.Id), s.State, s.Path ?? "-", s.IcePath ?? "-", Output.When(s.CreatedAt), Output.When(s.EndedAt ?? s.ExpiresAt), LoginSessionEnding.Short(s.EndReason)]);
        return ExitCodes.Success;
    }

    private static async Task<int> EndAsync(VerbContext context, string idText)
    {
        using var api = context.SignedInApi(out _);
        var session = IdPrefix.Single(await api.ListLoginSessionsAsync(context.Cancellation), s => s.Id, idText, "login session", "polydev login-sessions list", s => s.State);
        var ended = await api.EndLoginSessionAsync(session.Id, context.Cancellation);
        context.Output.Result(ended);
        context.Output.Line(ended.State == LoginSessionStates.Ended
            ? Capitalized($"login session {ended.Id:D} {(session.State == LoginSessionStates.Ended ? "had already ended" : "ended")}: {LoginSessionEnding.Sentence(ended.EndReason)}")
            : $"Login session {ended.Id:D} is {ended.State}.");
        return ExitCodes.Success;
    }

    /// <summary>A deadline under a minute or two away: to the second, in local time.</summary>
    private static string Clock(DateTimeOffset time) => time.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    /// <summary>The <c>--json</c> result of <c>start</c>; with <c>--wait</c>, how the session ended.</summary>
    private sealed record StartedSession(Guid Id, string ViewerUrl, bool BrowserOpened, DateTimeOffset OpenBy, DateTimeOffset ExpiresAt, int IdleSeconds)
    {
        public LoginSessionResponse? Ended { get; init; }

        public string? Ending { get; init; }
    }
}
