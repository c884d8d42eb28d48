using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Contracts.Login;
using Polydev.Server.Login.Turn;
using Polydev.Server.Pools;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Login.Sessions;

/// <summary>
/// Starts, opens and ends login sessions: leases a sandbox of the <c>login</c> kind, issues the session's TURN
/// credentials (the viewer's to the viewer, the sandbox's for the viewer to seal into the opening), hands the sealed
/// opening to the agent, and watches the session until it ends (<see cref="LoginSessionWatcher"/>).
/// </summary>
public sealed class LoginSessionService(
    SandboxAllocator sandboxes,
    LoginSessionRegistry registry,
    LoginSessionWatcher watcher,
    LoginSessionAccess access,
    IOptions<LoginSessionsOptions> options)
{
    public const string RuntimeKind = "login";

    private readonly LoginSessionsOptions _options = options.Value;

    /// <param name="connect">The provider whose account the session connects (the endpoint checked it), or null.</param>
    public async Task<LoginSessionCreatedResponse> StartAsync(Guid userId, string? connect, CancellationToken cancellationToken)
    {
        // A quick refusal before a sandbox is leased; TryAdd below decides under its lock.
        if (registry.Live(userId).ToList() is { } live && live.Count >= _options.MaxPerUser)
        {
            throw AlreadyLive(live[0]);
        }

        var id = Guid.CreateVersion7(watcher.Clock.GetUtcNow());
        AllocatedSandbox allocated;
        try
        {
            allocated = await sandboxes.AllocateAsync(RuntimeKind, id.ToString("D"), cancellationToken);
        }
        catch (SandboxUnavailableException e)
        {
            watcher.Metrics.Refused.WithLabels("unavailable").Inc();
            throw new LoginSessionRefusedException(503, $"No login sandbox can be had now: {e.Message}", e);
        }

        (string TokenId, string ProxyUrl) egress;
        try
        {
            egress = await access.GrantEgressAsync(userId, allocated.Sandbox, cancellationToken);
        }
        catch
        {
            await sandboxes.RetireAsync(allocated.Sandbox, "refused", CancellationToken.None);
            throw;
        }

        var now = watcher.Clock.GetUtcNow();
        var session = new LiveLoginSession(id, userId, allocated.Sandbox, now, now + _options.TimeLimit, now + _options.OpenWindow)
        {
            Connect = connect,
            EgressTokenId = egress.TokenId,
            ProxyUrl = egress.ProxyUrl,
        };
        if (registry.TryAdd(session, _options.MaxPerUser) is { Count: > 0 } raced)
        {
            await sandboxes.RetireAsync(allocated.Sandbox, "refused", CancellationToken.None);
            await access.RevokeEgressAsync(userId, egress.TokenId);
            throw AlreadyLive(raced[0]);
        }

        watcher.Watch(session, allocated.Warm);
        return Connection(session);
    }

    /// <summary>For a viewer attaching to a session started elsewhere (the terminal): the key and fresh TURN credentials.</summary>
    public LoginSessionCreatedResponse Attach(Guid userId, Guid id)
    {
        var session = Find(userId, id);
        return session.State == LoginSessionStates.Waiting
            ? Connection(session)
            : throw new LoginSessionRefusedException(409, session.Ended.IsCompleted
                ? $"This login session has ended ({session.Ended.Result}); start a new one."
                : "This login session is already open in another viewer; a session has one viewer.");
    }

    private LoginSessionCreatedResponse Connection(LiveLoginSession session)
    {
        var servers = access.IssueTurn(session.UserId);
        return new LoginSessionCreatedResponse(
            session.Id,
            Convert.ToBase64String(session.Sandbox.PublicKey),
            servers is null ? [] : [Ice(servers.Viewer)],
            servers is null ? [] : [Ice(servers.Sandbox)],
            session.OpenBy,
            session.ExpiresAt,
            (int)_options.IdleLimit.TotalSeconds,
            session.ProxyUrl,
            session.Connect);
    }

    /// <summary>Hands the viewer's sealed opening to the agent, once, and issues the ticket for the session channel.</summary>
    public async Task<LoginSessionOpenedResponse> OpenAsync(Guid userId, Guid id, byte[] sealedOpening, CancellationToken cancellationToken)
    {
        var session = Find(userId, id);
        if (session.Ended.IsCompleted)
        {
            throw new LoginSessionRefusedException(409, $"This login session has ended ({session.Ended.Result}); start a new one.");
        }

        if (!session.TryMarkOpened())
        {
            throw new LoginSessionRefusedException(409, "This login session was already opened; a session takes one opening. Start a new one to connect again.");
        }

        try
        {
            await session.Sandbox.Agent.SendJobAsync(sealedOpening, cancellationToken);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SandboxEngineException or ArgumentOutOfRangeException)
        {
            // The agent is gone (or the opening cannot be a job): the session cannot go on.
            await watcher.EndAsync(session, LoginSessionEndReasons.SandboxLost);
            throw new LoginSessionRefusedException(503, "The login sandbox could not take the opening; start a new session.", e);
        }

        await sandboxes.MarkExecutingAsync(session.Sandbox, CancellationToken.None);
        watcher.Opened(session);
        var (ticket, expiresAt) = registry.IssueTicket(id);
        return new LoginSessionOpenedResponse(ticket, expiresAt);
    }

    /// <summary>A new channel ticket for an open session whose viewer lost its channel (a reload, a dropped connection).</summary>
    public LoginSessionOpenedResponse Reconnect(Guid userId, Guid id)
    {
        var session = Find(userId, id);
        if (session.State != LoginSessionStates.Open)
        {
            throw new LoginSessionRefusedException(409, session.Ended.IsCompleted ? $"This login session has ended ({session.Ended.Result})." : "Open the session first.");
        }

        var (ticket, expiresAt) = registry.IssueTicket(id);
        return new LoginSessionOpenedResponse(ticket, expiresAt);
    }

    public async Task<LoginSessionResponse> EndAsync(Guid userId, Guid id)
    {
        var session = Find(userId, id);
        await watcher.EndAsync(session, LoginSessionEndReasons.EndedByUser);
        return session.ToResponse();
    }

    public LiveLoginSession Find(Guid userId, Guid id) =>
        registry.Find(userId, id) ?? throw new LoginSessionRefusedException(404, "No login session with this id.");

    private static LoginIceServerResponse Ice(TurnIceServer server) => new(server.Urls, server.Username, server.Credential);

    private LoginSessionRefusedException AlreadyLive(LiveLoginSession existing)
    {
        watcher.Metrics.Refused.WithLabels("limit").Inc();
        return new LoginSessionRefusedException(409,
            $"You already have a live login session ({existing.Id:D}, {existing.State}); one at a time. End it first: polydev login-sessions end {existing.Id:D}, or DELETE {Polydev.Contracts.ApiRoutes.LoginSession(existing.Id)}.");
    }
}
