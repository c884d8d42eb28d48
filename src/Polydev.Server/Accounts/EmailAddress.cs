namespace Polydev.Server.Accounts;

/// <summary>
/// E-mail addresses are identifiers here, not mailboxes: compared after trimming and
/// lower-casing, checked only for a plausible shape.
/// </summary>
public static class EmailAddress
{
    public const int MaxLength = 254;

    public static bool TryNormalize(string? email, out string normalized)
    {
        normalized = (email ?? string.Empty).Trim().ToLowerInvariant();
        var at = normalized.IndexOf('@', StringComparison.Ordinal);
        return normalized.Length is > 2 and <= MaxLength
            && at > 0
            && at == normalized.LastIndexOf('@')
            && at < normalized.Length - 1
            && !normalized.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
    }
}
