namespace Polydev.Client.Terminal;

/// <summary>
/// A rough strength estimate for a new password, the same in both clients (web/src/app/ui/password-strength.ts, with
/// the same test cases): bits from its length and the kinds of characters in it, none for the passwords everyone
/// tries first, little for one character repeated or a run like "abcd" or "1234". Advice only: both clients refuse
/// only a password under eight characters; the KDF's 600,000 rounds make every guess cost, not a strong password.
/// </summary>
internal static class PasswordStrength
{
    private static readonly HashSet<string> Common = new(StringComparer.Ordinal)
    {
        "password", "password1", "password123", "12345678", "123456789", "1234567890", "qwertyuiop", "qwerty123",
        "iloveyou", "sunshine", "princess", "football", "baseball", "welcome1", "admin123", "letmein1", "trustno1",
        "passw0rd", "p@ssw0rd", "11111111", "00000000", "abc12345", "abcd1234", "qwertyui", "1q2w3e4r", "zaq12wsx",
        "starwars", "dragon12", "monkey12", "changeme",
    };

    /// <returns>The estimate in bits, and its word: very weak, weak, fair, strong, very strong.</returns>
    public static (int Bits, string Word) Estimate(string password)
    {
        var bits = Bits(password);
        var word = bits switch
        {
            < 28 => "very weak",
            < 36 => "weak",
            < 60 => "fair",
            < 80 => "strong",
            _ => "very strong",
        };
        return (bits, word);
    }

    private static int Bits(string password)
    {
        if (password.Length == 0 || Common.Contains(password.ToLowerInvariant()))
        {
            return 0;
        }

        var pool = (password.Any(char.IsAsciiLetterLower) ? 26 : 0) + (password.Any(char.IsAsciiLetterUpper) ? 26 : 0)
            + (password.Any(char.IsAsciiDigit) ? 10 : 0) + (password.Any(c => c < 128 && !char.IsAsciiLetterOrDigit(c)) ? 33 : 0)
            + (password.Any(c => c >= 128) ? 100 : 0);
        // Whole millibits, so both clients' floating point gives the same answer. Each character after the first that
        // repeats or continues a run (a→b, 3→4, 4→3) adds one bit.
        var perCharacter = (long)Math.Round(Math.Log2(pool) * 1000);
        var millibits = perCharacter;
        for (var i = 1; i < password.Length; i++)
        {
            var step = password[i] - password[i - 1];
            millibits += step is 0 or 1 or -1 ? 1000 : perCharacter;
        }

        return (int)(millibits / 1000);
    }
}
