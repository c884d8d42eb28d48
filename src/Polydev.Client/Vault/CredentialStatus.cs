using Polydev.Client.Terminal;

namespace Polydev.Client.Vault;

/// <summary>
/// How a credential stands, for listings: when a connected account's token expires, and a warning before it lapses.
/// A refreshable token renews itself at the next run (and the run writes the renewed one back); one that cannot renew
/// lapses at its expiry, and the user must connect the account again.
/// </summary>
internal sealed record CredentialStatus(string Text, string? Warning)
{
    /// <summary>How far ahead a lapse is warned of.</summary>
    public static readonly TimeSpan WarnAhead = TimeSpan.FromDays(3);

    /// <summary>A refresh token unused this long may have been retired by the provider (Google and OpenAI retire idle ones).</summary>
    public static readonly TimeSpan StaleRefresh = TimeSpan.FromDays(30);

    public static CredentialStatus Of(CredentialSecret secret, DateTimeOffset now)
    {
        if (secret.Type != CredentialSecret.OAuth)
        {
            return new CredentialStatus("-", null);
        }

        if (secret.ExpiresAt is not { } expires)
        {
            return new CredentialStatus("unknown", null);
        }

        var reconnect = "connect it again with: polydev credentials login";
        if (secret.Refreshable)
        {
            return now - expires > StaleRefresh
                ? new CredentialStatus($"{Output.When(expires)} (refresh)", $"not refreshed since {Output.When(expires)}; the provider may have retired its refresh token. If a run is refused, {reconnect}.")
                : new CredentialStatus(expires <= now ? "renews on next run" : $"{Output.When(expires)} (refresh)", null);
        }

        return expires <= now
            ? new CredentialStatus("expired", $"its token expired {Output.When(expires)} and cannot renew itself; {reconnect}.")
            : new CredentialStatus(Output.When(expires), expires - now <= WarnAhead ? $"its token expires {Output.When(expires)} and cannot renew itself; {reconnect} before then." : null);
    }
}
