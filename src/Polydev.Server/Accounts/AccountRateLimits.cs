using System.Threading.RateLimiting;

namespace Polydev.Server.Accounts;

/// <summary>Settings under <c>Accounts:RateLimits</c>: one token bucket per client address and endpoint group.</summary>
public sealed class AccountRateLimits
{
    /// <summary>Sign-up hashes two proofs with the server-side KDF: the costliest anonymous request.</summary>
    public RateLimit Signup { get; set; } = new() { Limit = 20, Period = TimeSpan.FromHours(1) };

    /// <summary>Login and the recovery steps: one server-side KDF each.</summary>
    public RateLimit Login { get; set; } = new() { Limit = 30, Period = TimeSpan.FromMinutes(1) };

    /// <summary>Pre-login is cheap but answers about any e-mail.</summary>
    public RateLimit Prelogin { get; set; } = new() { Limit = 60, Period = TimeSpan.FromMinutes(1) };
}

/// <summary>
/// <see cref="Limit"/> requests at once, refilled evenly over <see cref="Period"/> (one every Period / Limit).
/// A limit of 0 or less turns the group's limit off.
/// </summary>
public sealed class RateLimit
{
    public int Limit { get; set; }

    public TimeSpan Period { get; set; }

    public bool IsOn => Limit > 0 && Period > TimeSpan.Zero;

    /// <remarks>
    /// System.Threading.RateLimiting keeps time with its own monotonic clock (it takes no <see cref="TimeProvider"/>),
    /// so these buckets are the one place the server's clock is not used.
    /// </remarks>
    public TokenBucketRateLimiterOptions ToTokenBucket() => new()
    {
        TokenLimit = Limit,
        TokensPerPeriod = 1,
        ReplenishmentPeriod = Period / Limit,
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
