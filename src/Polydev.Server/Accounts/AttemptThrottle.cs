using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Polydev.Server.Accounts;

/// <summary>
/// Limits on password-equivalent guesses (login, recovery), in fixed windows. An attacker who hammers one account
/// from one address is locked out of that account from that address (<see cref="AccountsOptions.AttemptsPerEmailAndAddress"/>)
/// and one address is limited over all accounts (<see cref="AccountsOptions.AttemptsPerAddress"/>); the account
/// itself is never locked, so its owner on another address still signs in. Failures on one e-mail from everywhere
/// only slow every attempt on it down (<see cref="AccountsOptions.EmailSlowdownAfter"/>), which still slows a
/// distributed attack without handing anyone a way to lock a user out. Kept in memory: a restart forgets windows,
/// which costs an attacker nothing worth having against 600,000-iteration PBKDF2 on the client side.
/// </summary>
public sealed class AttemptThrottle(IOptions<AccountsOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>
    /// Counts one attempt before it is checked (so parallel guesses cannot slip past the count). Refused if this
    /// e-mail from this address, or this address overall, has spent its attempts; otherwise allowed after
    /// <see cref="AttemptDecision.Delay"/>.
    /// </summary>
    public AttemptDecision TryAcquire(string email, string address)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        PruneIfLarge(now, settings.AttemptWindow);

        var byPair = Count(PairKey(email, address), now, settings.AttemptWindow);
        var byAddress = Count("a:" + address, now, settings.AttemptWindow);
        if (byPair.Count > settings.AttemptsPerEmailAndAddress || byAddress.Count > settings.AttemptsPerAddress)
        {
            var start = byPair.Count > settings.AttemptsPerEmailAndAddress ? byPair.Start : byAddress.Start;
            return AttemptDecision.Refused(start + settings.AttemptWindow - now);
        }

        var failures = Peek("f:" + email, now, settings.AttemptWindow);
        var excess = failures - settings.EmailSlowdownAfter;
        var delay = excess <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(settings.MaxEmailSlowdown.Ticks, settings.EmailSlowdownStep.Ticks * excess));
        return AttemptDecision.Allowed(delay);
    }

    /// <summary>Waits out an allowed attempt's slow-down on the server's clock.</summary>
    public Task SlowDownAsync(AttemptDecision decision, CancellationToken cancellationToken) =>
        decision.Delay > TimeSpan.Zero ? Task.Delay(decision.Delay, clock, cancellationToken) : Task.CompletedTask;

    /// <summary>A wrong proof: counts toward the e-mail's slow-down, whoever sent it.</summary>
    public void Failed(string email) => Count("f:" + email, clock.GetUtcNow(), options.Value.AttemptWindow);

    /// <summary>The right proof: the owner's own earlier typos on this address are forgotten.</summary>
    public void Succeeded(string email, string address) => _windows.TryRemove(PairKey(email, address), out _);

    private static string PairKey(string email, string address) => "p:" + address + "\n" + email;

    private int Peek(string key, DateTimeOffset now, TimeSpan length) =>
        _windows.TryGetValue(key, out var window) && now - window.Start < length ? window.Count : 0;

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

/// <summary>Whether an attempt may go ahead: refused with when to retry, or allowed after a delay (often none).</summary>
public readonly record struct AttemptDecision(bool IsAllowed, TimeSpan RetryAfter, TimeSpan Delay)
{
    public static AttemptDecision Refused(TimeSpan retryAfter) => new(false, retryAfter, TimeSpan.Zero);

    public static AttemptDecision Allowed(TimeSpan delay) => new(true, TimeSpan.Zero, delay);
}
