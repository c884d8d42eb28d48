using Microsoft.Extensions.Options;
using Polydev.Contracts.Accounts;

namespace Polydev.Server.Accounts;

/// <summary>Makes new bearer tokens (login sessions and API tokens) and records their hashes.</summary>
public sealed class SessionIssuer(SessionStore sessions, IOptions<AccountsOptions> options, TimeProvider clock, PolydevMetrics metrics)
{
    public async Task<(string Token, SessionRecord Session)> IssueAsync(Guid userId, string kind, string? name, TimeSpan? lifetime, CancellationToken cancellationToken)
    {
        var (token, hash) = BearerTokens.Issue(kind == TokenKinds.Api ? BearerTokens.ApiPrefix : BearerTokens.SessionPrefix);
        var now = clock.GetUtcNow();
        var effectiveLifetime = kind == TokenKinds.Session ? options.Value.SessionLifetime : lifetime;
        var session = new SessionRecord
        {
            Id = Guid.CreateVersion7(now).ToString("D"),
            UserId = userId.ToString("D"),
            Kind = kind,
            Name = name,
            TokenHash = hash,
            CreatedAt = now.ToUnixTimeMilliseconds(),
            LastUsedAt = now.ToUnixTimeMilliseconds(),
            ExpiresAt = effectiveLifetime is { } span ? (now + span).ToUnixTimeMilliseconds() : null,
        };
        await sessions.CreateAsync(session, cancellationToken);
        metrics.TokensIssued.WithLabels(kind).Inc();
        return (token, session);
    }
}
