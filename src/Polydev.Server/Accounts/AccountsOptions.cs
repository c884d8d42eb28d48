namespace Polydev.Server.Accounts;

/// <summary>Settings under <c>Accounts</c> (environment: <c>POLYDEV_ACCOUNTS__…</c>).</summary>
public sealed class AccountsOptions
{
    public const string Section = "Accounts";

    /// <summary>How long a login session lasts.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long a session read for a bearer token is kept in memory (<see cref="SessionCache"/>). Revocations made
    /// through this server take effect at once; a change written to the database by anything else (another server,
    /// an operator's SQL) is seen within this time. Zero reads the session on every request.
    /// </summary>
    public TimeSpan SessionCacheLifetime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// PBKDF2 iterations of the server-side hash over authKey. authKey already costs the
    /// attacker the client's 600,000 iterations per guess; this adds to a stolen database's cost.
    /// </summary>
    public int AuthKeyHashIterations { get; set; } = 100_000;

    /// <summary>
    /// Login (and recovery) attempts allowed on one e-mail from one client address within <see cref="AttemptWindow"/>.
    /// Counted per pair, never per e-mail alone, so nobody can lock a user out by failing on purpose.
    /// </summary>
    public int AttemptsPerEmailAndAddress { get; set; } = 10;

    /// <summary>Login (and recovery) attempts allowed per client address within <see cref="AttemptWindow"/>.</summary>
    public int AttemptsPerAddress { get; set; } = 100;

    public TimeSpan AttemptWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Failures on one e-mail, from all addresses within <see cref="AttemptWindow"/>, after which every attempt on it
    /// waits <see cref="EmailSlowdownStep"/> per further failure (at most <see cref="MaxEmailSlowdown"/>): a
    /// distributed attack is slowed, the owner is not locked out.
    /// </summary>
    public int EmailSlowdownAfter { get; set; } = 10;

    public TimeSpan EmailSlowdownStep { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxEmailSlowdown { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests per client address on the anonymous endpoints that cost the server a KDF or answer about e-mails.</summary>
    public AccountRateLimits RateLimits { get; set; } = new();

    /// <summary>Upper bound on the KDF cost a client may choose, so nobody stores parameters that lock other devices out.</summary>
    public int MaxKdfIterations { get; set; } = 10_000_000;

    /// <summary>
    /// Body limit of a key rotation, which carries the whole vault re-sealed in one request. A vault larger than this
    /// cannot be rotated until the operator raises it.
    /// </summary>
    public long MaxKeyRotationBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>Longest lifetime of an API token, in days.</summary>
    public int MaxApiTokenDays { get; set; } = 3650;
}
