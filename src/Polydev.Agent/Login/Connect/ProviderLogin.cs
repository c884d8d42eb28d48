namespace Polydev.Agent.Login.Connect;

/// <summary>
/// How one CLI's own login runs in a login sandbox: the command, what it needs besides the session's environment, and
/// where it writes its credential (relative to HOME). Each was checked against the real CLI (docs/login-sessions.md,
/// "Connecting an account", says which flow each provider uses and why).
/// </summary>
internal sealed record ProviderLogin(string Provider, string Executable, IReadOnlyList<string> Arguments, string CredentialFile)
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Written to the CLI's stdin (then closed); null closes stdin at once.</summary>
    public string? Stdin { get; init; }

    /// <summary>Settings files (relative to HOME) the login needs before it starts.</summary>
    public IReadOnlyList<(string RelativePath, string Content)> Files { get; init; } = [];

    /// <summary>The login of <paramref name="provider"/>; null for a provider with none.</summary>
    public static ProviderLogin? For(string provider)
    {
        ProviderSpec? spec = ProviderSpec.Find(provider);
        if (spec is null)
        {
            return null;
        }

        string executable = System.Environment.GetEnvironmentVariable(spec.ExecutableOverride) is { Length: > 0 } path ? path : spec.DefaultExecutable;
        return provider switch
        {
            // Needs no terminal: prints its link, waits for the callback, says "Login successful." and exits 0.
            "anthropic" => new ProviderLogin(provider, executable, ["auth", "login"], spec.CredentialFile) { Environment = spec.FixedEnvironment },
            "openai" => new ProviderLogin(provider, executable, ["login"], spec.CredentialFile),
            // No login command: a run without a credential signs in first. Headless, it asks "continue? [Y/n]" on stdout and
            // reads the answer from stdin's first line, then opens its URL with xdg-open (never BROWSER) and waits for the
            // callback on 127.0.0.1. No prompt (-p): with one, the CLI goes on after writing the file and sends it to the
            // model (a router call and a turn, within a second: long before the file counts as settled), spending the
            // user's quota on the login. Without one it writes the file, sets up Code Assist (onboarding a new account),
            // finds stdin empty and exits 42 ("No input provided"), which the agent takes as the end (checked with 0.61.0).
            "google" => new ProviderLogin(provider, executable, ["--skip-trust"], spec.CredentialFile)
            {
                Stdin = "y\n",
                Files = [(".gemini/settings.json", "{\"security\":{\"auth\":{\"selectedType\":\"oauth-personal\"}},\"privacy\":{\"usageStatisticsEnabled\":false}}\n")],
                Environment = new Dictionary<string, string> { ["GEMINI_TELEMETRY_ENABLED"] = "false" },
            },
            _ => null,
        };
    }
}
