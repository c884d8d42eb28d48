using System.Text.RegularExpressions;

namespace Polydev.Server.Observability;

/// <summary>
/// The last line of defence for logs: whatever a log call passes, bearer tokens, passwords in
/// connection strings and values of secret-named fields are replaced before anything is
/// written. The first line is not logging secrets at all; this catches the mistakes.
/// </summary>
public static partial class SecretRedactor
{
    public const string Redacted = "[redacted]";

    private static readonly string[] SecretNameParts = ["password", "passwd", "secret", "token", "authkey", "auth_key", "authorization", "cookie", "privatekey", "userkey", "kek", "envelope", "recovery"];

    /// <summary>True for structured-log field names whose values must never be written.</summary>
    public static bool IsSecretName(string name)
    {
        foreach (var part in SecretNameParts)
        {
            if (name.Contains(part, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public static string Redact(string text)
    {
        if (text.Length == 0)
        {
            return text;
        }

        text = PolydevToken().Replace(text, Redacted);
        text = BearerCredential().Replace(text, "Bearer " + Redacted);
        return PasswordSetting().Replace(text, m => m.Groups["key"].Value + "=" + Redacted);
    }

    [GeneratedRegex(@"pd_[a-z]_[A-Za-z0-9_\-]{8,}")]
    private static partial Regex PolydevToken();

    [GeneratedRegex(@"(?i)bearer\s+[A-Za-z0-9._~+/=\-]{16,}")]
    private static partial Regex BearerCredential();

    [GeneratedRegex(@"(?i)(?<key>password|pwd)\s*=\s*[^;""'\s]+")]
    private static partial Regex PasswordSetting();
}
