using System.Net;
using Polydev.Client.Api;
using Polydev.Contracts.Login;

namespace Polydev.Client.LoginSessions;

/// <summary>
/// Follows a login session until it ends, by asking for its state every <paramref name="interval"/>. The server pushes
/// nothing to the terminal (the session's channel is the viewer's), and a second's delay is nothing beside a session
/// of minutes.
/// </summary>
internal sealed class LoginSessionWatch(Func<CancellationToken, Task<LoginSessionResponse>> get, TimeSpan interval)
{
    public static LoginSessionWatch Of(PolydevApi api, Guid id) => new(ct => api.GetLoginSessionAsync(id, ct), TimeSpan.FromSeconds(1));

    /// <summary>The session as it ended; <paramref name="changed"/> sees each state it passes through, the first included.</summary>
    public async Task<LoginSessionResponse> UntilEndedAsync(Action<LoginSessionResponse> changed, CancellationToken ct)
    {
        string? shown = null;
        while (true)
        {
            LoginSessionResponse session;
            try
            {
                session = await get(ct);
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
                // The server keeps ended sessions for a while; one it never heard of went with a restart.
                throw new CliException("the server no longer knows this login session (was it restarted?); start a new one.");
            }

            if (session.State != shown)
            {
                shown = session.State;
                changed(session);
            }

            if (session.State == LoginSessionStates.Ended)
            {
                return session;
            }

            await Task.Delay(interval, ct);
        }
    }
}
