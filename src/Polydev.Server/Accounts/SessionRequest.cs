using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Polydev.Contracts.Accounts;

namespace Polydev.Server.Accounts;

/// <summary>
/// What the endpoints over the user's own sessions and API tokens are given (<c>[AsParameters]</c>), and the answers
/// both kinds give alike: the active ones of a kind, and revoking one of a kind.
/// </summary>
internal readonly record struct SessionRequest(ClaimsPrincipal User, SessionStore Sessions, TimeProvider Clock, PolydevMetrics Metrics, CancellationToken Aborted)
{
    public long Now => UnixTime.Now(Clock);

    public async Task<Ok<IReadOnlyList<SessionResponse>>> ListAsync(string kind)
    {
        var active = await Sessions.ListActiveAsync(User.UserId(), kind, Now, Aborted);
        var current = User.SessionId();
        return TypedResults.Ok<IReadOnlyList<SessionResponse>>(active.Select(s => AccountViews.ToSession(s, current)).ToList());
    }

    public async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(string kind, Guid id, string notFound)
    {
        if (!await Sessions.RevokeAsync(User.UserId(), id, kind, Now, Aborted))
        {
            return Problems.NotFound(notFound);
        }

        Metrics.TokensRevoked.WithLabels(kind).Inc();
        return TypedResults.NoContent();
    }
}
