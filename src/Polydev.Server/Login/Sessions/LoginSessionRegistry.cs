using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Polydev.Server.Login.Sessions;

/// <summary>
/// The login sessions this server holds, live and recently ended (kept for <see cref="Retention"/> so a viewer that
/// reconnects, or <c>polydev login-sessions list</c>, can still read how one ended), and the one-time channel tickets.
/// </summary>
public sealed class LoginSessionRegistry(TimeProvider clock)
{
    public static readonly TimeSpan Retention = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan TicketLifetime = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<Guid, LiveLoginSession> _sessions = new();
    private readonly ConcurrentDictionary<string, (Guid SessionId, DateTimeOffset ExpiresAt)> _tickets = new(StringComparer.Ordinal);
    private readonly Lock _admission = new();

    /// <summary>Adds the session unless the user already has <paramref name="maxPerUser"/> live ones; returns those when refused.</summary>
    public IReadOnlyList<LiveLoginSession>? TryAdd(LiveLoginSession session, int maxPerUser)
    {
        lock (_admission)
        {
            // Ended sessions and spent tickets go here too, not only when someone lists: nothing grows without bound.
            Prune();
            var live = Live(session.UserId).ToList();
            if (live.Count >= maxPerUser)
            {
                return live;
            }

            _sessions[session.Id] = session;
            return null;
        }
    }

    /// <summary>The user's sessions that have not ended.</summary>
    public IEnumerable<LiveLoginSession> Live(Guid userId) =>
        _sessions.Values.Where(s => s.UserId == userId && !s.Ended.IsCompleted);

    public LiveLoginSession? Find(Guid userId, Guid id) =>
        _sessions.TryGetValue(id, out var session) && session.UserId == userId ? session : null;

    public IReadOnlyList<LiveLoginSession> ForUser(Guid userId)
    {
        Prune();
        return [.. _sessions.Values.Where(s => s.UserId == userId).OrderBy(s => s.CreatedAt)];
    }

    public IEnumerable<LiveLoginSession> All => _sessions.Values;

    /// <summary>A random one-time ticket for the session's channel.</summary>
    public (string Ticket, DateTimeOffset ExpiresAt) IssueTicket(Guid sessionId)
    {
        var ticket = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var expiresAt = clock.GetUtcNow() + TicketLifetime;
        _tickets[ticket] = (sessionId, expiresAt);
        return (ticket, expiresAt);
    }

    /// <summary>The session the ticket was issued for, once: a used, expired or unknown ticket gives null.</summary>
    public LiveLoginSession? Redeem(Guid sessionId, string? ticket)
    {
        if (ticket is null || !_tickets.TryRemove(ticket, out var issued) || issued.SessionId != sessionId || issued.ExpiresAt < clock.GetUtcNow())
        {
            return null;
        }

        return _sessions.GetValueOrDefault(sessionId);
    }

    private void Prune()
    {
        var now = clock.GetUtcNow();
        foreach (var session in _sessions.Values.Where(s => s.EndedAt is { } ended && now - ended > Retention))
        {
            _sessions.TryRemove(session.Id, out _);
        }

        foreach (var (ticket, issued) in _tickets.Where(t => t.Value.ExpiresAt < now))
        {
            _tickets.TryRemove(ticket, out _);
        }
    }
}
