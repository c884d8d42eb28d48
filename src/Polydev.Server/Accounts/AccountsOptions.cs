namespace Polydev.Server.Accounts;

/// <summary>Settings under <c>Accounts</c> (environment: <c>POLYDEV_ACCOUNTS__…</c>).</summary>
public sealed class AccountsOptions
{
    public const string Section = "Accounts";

    /// <summary>How long a login session lasts.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// PBKDF2 iterations of the server-side hash over authKey. authKey already costs the
    /// attacker the client's 600,000 iterations per guess; this adds to a stolen database's cost.
    /// </summary>
    public int AuthKeyHashIterations { get; set; } = 100_000;

    /// <summary>Login (and recovery) attempts allowed per e-mail within <see cref="AttemptWindow"/>.</summary>
    public int AttemptsPerEmail { get; set; } = 10;

    /// <summary>Login (and recovery) attempts allowed per client address within <see cref="AttemptWindow"/>.</summary>
    public int AttemptsPerAddress { get; set; } = 100;

    public TimeSpan AttemptWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Upper bound on the KDF cost a client may choose, so nobody stores parameters that lock other devices out.</summary>
    public int MaxKdfIterations { get; set; } = 10_000_000;

    /// <summary>Longest lifetime of an API token, in days.</summary>
    public int MaxApiTokenDays { get; set; } = 3650;
}
