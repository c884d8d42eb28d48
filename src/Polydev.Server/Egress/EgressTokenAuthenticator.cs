using System.Collections.Concurrent;
using Polydev.Server.Accounts;

namespace Polydev.Server.Egress;

/// <summary>
/// Checks proxy tokens for the proxy. Every proxied request authenticates, so answers are kept
/// for a few seconds; a revocation on this server takes effect at once, on another server of a
/// cluster within <see cref="CacheFor"/>.
/// </summary>
public sealed class EgressTokenAuthenticator(EgressTokenStore tokens, TimeProvider clock) : IEgressAuthenticator
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);

    public async ValueTask<EgressPrincipal?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        if (!BearerTokens.LooksValid(token, BearerTokens.EgressPrefix))
        {
            return null;
        }

        var hash = BearerTokens.Hash(token);
        var key = Convert.ToBase64String(hash);
        var now = clock.GetUtcNow();
        if (!_cache.TryGetValue(key, out var entry) || entry.CheckedAt + CacheFor <= now)
        {
            var record = await tokens.FindByHashAsync(hash, cancellationToken);
            entry = new Entry(
                record is { RevokedAt: null } ? new EgressPrincipal(Guid.Parse(record.UserId), Guid.Parse(record.Id), record.BoundAddress is { } bound ? System.Net.IPAddress.Parse(bound) : null) : null,
                record is null ? DateTimeOffset.MinValue : UnixTime.ToDateTimeOffset(record.ExpiresAt),
                now);
            if (_cache.Count > 100_000)
            {
                _cache.Clear();
            }

            _cache[key] = entry;
        }

        return entry.ExpiresAt > now ? entry.Principal : null;
    }

    /// <summary>Forgets a token at once, so a revocation needs no cache expiry on this server.</summary>
    public void Forget(byte[] tokenHash) => _cache.TryRemove(Convert.ToBase64String(tokenHash), out _);

    /// <summary>Forgets every cached token of a user (account deleted).</summary>
    public void ForgetUser(Guid userId)
    {
        foreach (var (key, entry) in _cache)
        {
            if (entry.Principal?.UserId == userId)
            {
                _cache.TryRemove(key, out _);
            }
        }
    }

    private sealed record Entry(EgressPrincipal? Principal, DateTimeOffset ExpiresAt, DateTimeOffset CheckedAt);
}
