namespace Polydev.Client.Terminal;

/// <summary>
/// Where passwords come from: an environment variable for scripts, otherwise a hidden prompt. Never from an
/// argument, which other local users can read in the process list.
/// </summary>
internal static class Secrets
{
    public const string PasswordVariable = "POLYDEV_PASSWORD";
    public const string NewPasswordVariable = "POLYDEV_NEW_PASSWORD";

    /// <summary>The account password: <c>POLYDEV_PASSWORD</c>, else asked once.</summary>
    public static string Password(string question = "Password: ") => FromEnvironmentOrPrompt(PasswordVariable, question, confirm: false);

    /// <summary>
    /// The shortest new password either client accepts (web/src/app/ui/new-password.ts: the same rule, in UTF-16 code
    /// units as a browser's <c>minlength</c> counts). The server never sees a password, so only the clients can check.
    /// </summary>
    public const int MinNewPasswordLength = 8;

    /// <summary>A password being chosen (sign-up, change, recovery): from <paramref name="variable"/>, else asked twice; at least <see cref="MinNewPasswordLength"/> characters.</summary>
    public static string NewPassword(string variable, string question = "New password: ")
    {
        var password = FromEnvironmentOrPrompt(variable, question, confirm: true);
        if (password.Length < MinNewPasswordLength)
        {
            throw new UsageException($"choose a password of at least {MinNewPasswordLength} characters (the web client asks the same); nothing was changed.");
        }

        var (bits, word) = PasswordStrength.Estimate(password);
        Output.Note($"Password strength: {word} (about {bits} bits).{(bits < 36 ? " A passphrase of several unrelated words is much harder to guess." : "")}");
        return password;
    }

    /// <summary>The value of a secret environment variable, or null when it is unset or empty.</summary>
    public static string? FromEnvironment(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;

    private static string FromEnvironmentOrPrompt(string variable, string question, bool confirm)
    {
        if (FromEnvironment(variable) is { } value)
        {
            return value;
        }

        if (!Prompt.CanAsk)
        {
            throw new UsageException($"no terminal to ask for the password on; set {variable} instead.");
        }

        var password = Prompt.ReadHidden(question);
        if (password.Length == 0)
        {
            throw new UsageException("the password is empty.");
        }

        if (confirm && Prompt.ReadHidden("Repeat it: ") != password)
        {
            throw new UsageException("the two passwords differ; nothing was changed.");
        }

        return password;
    }
}
