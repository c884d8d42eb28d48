using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Polydev.Server.Accounts;

/// <summary>
/// Fixed-window limits on password-equivalent guesses (login, recovery), per e-mail and per
/// client address. Kept in memory: a restart forgets windows, which costs an attacker nothing
/// worth having against 600,000-iteration PBKDF2 on the client side.
/// </summary>
public sealed class AttemptThrottle(IOptions<AccountsOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>Counts one attempt; false (with when to retry) if either limit is already spent.</summary>
    public bool TryAcquire(string email, string? address, out TimeSpan retryAfter)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        PruneIfLarge(now, settings.AttemptWindow);

        var byEmail = Count("e:" + email, now, settings.AttemptWindow);
        var byAddress = Count("a:" + (address ?? "unknown"), now, settings.AttemptWindow);
        if (byEmail.Count > settings.AttemptsPerEmail || byAddress.Count > settings.AttemptsPerAddress)
        {
            var ends = byEmail.Count > settings.AttemptsPerEmail ? byEmail.Start : byAddress.Start;
            retryAfter = ends + settings.AttemptWindow - now;
            return false;
        }

        retryAfter = TimeSpan.Zero;
        return true;
    }

    private Window Count(string key, DateTimeOffset now, TimeSpan length) =>
        _windows.AddOrUpdate(
            key,
            _ => new Window(now, 1),
            (_, window) => now - window.Start >= length ? new Window(now, 1) : window with { Count = window.Count + 1 });

    private void PruneIfLarge(DateTimeOffset now, TimeSpan length)
    {
        if (_windows.Count < 10_000)
        {
            return;
        }

        foreach (var (key, window) in _windows)
        {
            if (now - window.Start >= length)
            {
                _windows.TryRemove(key, out _);
            }
        }
    }

    private sealed record Window(DateTimeOffset Start, int Count);
}
