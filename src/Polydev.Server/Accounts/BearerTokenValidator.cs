namespace Polydev.Server.Accounts;

/// <summary>
/// Finds the live session behind a bearer token (<c>pd_…</c>), or says why there is none in words a client can act
/// on (malformed, unknown, revoked, expired) without saying whose token it was. Keeps <c>last_used_at</c> roughly
/// current. The row is read through <see cref="SessionCache"/>; revocation and expiry are checked on every request.
/// </summary>
public sealed class BearerTokenValidator(SessionStore sessions, SessionCache cache, TimeProvider clock)
{
    /// <summary>last_used_at is a hint for the session list; writing it on every request would double the writes.</summary>
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    /// <returns>The session, or null with a short reason (a metric label) and the detail for the problem response.</returns>
    public async Task<(SessionRecord? Session, string? Reason, string? Detail)> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (!BearerTokens.LooksValid(token, BearerTokens.SessionPrefix, BearerTokens.ApiPrefix))
        {
            return (null, "malformed", "The bearer token is not a Polydev token.");
        }

        var hash = TokenHash.Of(token);
        var session = cache.Find(hash);
        if (session is null)
        {
            var generation = cache.Generation;
            session = await sessions.FindByTokenHashAsync(hash.ToArray(), cancellationToken);
            if (session is not null)
            {
                cache.Keep(hash, session, generation);
            }
        }

        var now = UnixTime.Now(clock);
        if (session is null)
        {
            return (null, "unknown", "The bearer token is not known to this server; sign in again.");
        }

        if (session.RevokedAt is not null)
        {
            return (null, "revoked", "The bearer token was revoked; sign in again.");
        }

        if (session.ExpiresAt is { } expires && expires <= now)
        {
            return (null, "expired", "The bearer token has expired; sign in again.");
        }

        if (now - session.LastUsedAt > TouchInterval.TotalMilliseconds)
        {
            // The kept copy learns the new time too, so the next requests do not write it again.
            cache.Replace(hash, session, session.UsedAt(now));
            await sessions.TouchAsync(session.Id, now, cancellationToken);
        }

        return (session, null, null);
    }
}
