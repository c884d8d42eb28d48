using System.Text.Json;

namespace Polydev.Agent;

/// <summary>How the agent runs one provider's CLI headless and where that CLI expects its credential.</summary>
internal sealed class ProviderSpec
{
    public required string Name { get; init; }

    public required string DefaultExecutable { get; init; }

    /// <summary>Environment variable (of the agent) that overrides the executable path, for tests and images.</summary>
    public required string ExecutableOverride { get; init; }

    /// <summary>
    /// The files (relative to HOME, and their content) through which the CLI gets an API key, so the key is never in
    /// its environment, where every process it starts would inherit it and <c>/proc/&lt;pid&gt;/environ</c> shows it.
    /// </summary>
    public required Func<string, string, IReadOnlyList<(string RelativePath, string Content)>> ApiKeyFiles { get; init; }

    /// <summary>
    /// The CLI's own environment variable for its API base URL, set from the job's <c>baseUrl</c> (a
    /// provider-compatible endpoint, or a test stub); null when the CLI takes it from a file the agent writes.
    /// </summary>
    public required string? BaseUrlVariable { get; init; }

    /// <summary>Where the CLI's API is when the job names no base URL: the host the agent asks the proxy about when a connection failed.</summary>
    public required Uri DefaultApiUrl { get; init; }

    /// <summary>
    /// Fixed settings every run of this CLI gets: headless behaviour, and no traffic a sandbox does not need
    /// (telemetry, update checks), which would otherwise wait on the egress proxy for hosts the job never uses.
    /// </summary>
    public IReadOnlyDictionary<string, string> FixedEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>The CLI's credential file, relative to HOME.</summary>
    public required string CredentialFile { get; init; }

    public required Func<string?, string[]> Arguments { get; init; }

    public required Func<IEventMapper> CreateMapper { get; init; }

    /// <summary>How the CLI is started before its job, in a warm sandbox; null when it cannot be (it reads its prompt at once).</summary>
    public IStartAheadDriver? StartAhead { get; init; }

    public static readonly ProviderSpec Anthropic = new()
    {
        Name = "anthropic",
        DefaultApiUrl = new Uri("https://api.anthropic.com"),
        DefaultExecutable = "claude",
        ExecutableOverride = "POLYDEV_AGENT_CLAUDE",
        // apiKeyHelper: a command whose output is the key (checked against the real CLI 2.1.332, which sends it as
        // x-api-key); the key itself is a 0600 file in the tmpfs home.
        ApiKeyFiles = (home, key) =>
        [
            (".claude/polydev-api-key", key),
            (".claude/settings.json", "{\"apiKeyHelper\":\"" + JsonEncodedText.Encode(ClaudeApiKeyHelper(home)) + "\"}\n"),
        ],
        // Honoured for both credential forms: the API key goes as x-api-key, the credential file's OAuth access token
        // as a bearer token (checked against the real CLI 2.1.332).
        BaseUrlVariable = "ANTHROPIC_BASE_URL",
        CredentialFile = ".claude/.credentials.json",
        FixedEnvironment = new Dictionary<string, string>
        {
            // Without it every run also calls api.anthropic.com for its bootstrap, fast-mode status, MCP registry and
            // event logging, whatever ANTHROPIC_BASE_URL says; it also turns off telemetry, error reports and updates.
            ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
            // The CLI retries every failed request, a 401 included, 10 times with backoff up to 40 s each: minutes
            // of a sandbox doing nothing before the user sees the error. Three retries ride out a brief 429/5xx.
            ["CLAUDE_CODE_MAX_RETRIES"] = "3",
        },
        // The sandbox's home is thrown away, so a transcript to resume from would only be the prompt kept on disk.
        Arguments = model => WithModel(["-p", "--output-format", "stream-json", "--verbose", "--no-session-persistence"], "--model", model),
        CreateMapper = () => new ClaudeMapper(),
        StartAhead = new ClaudeStartAhead(),
    };

    public static readonly ProviderSpec OpenAi = new()
    {
        Name = "openai",
        DefaultApiUrl = new Uri("https://api.openai.com"),
        DefaultExecutable = "codex",
        ExecutableOverride = "POLYDEV_AGENT_CODEX",
        // What `codex login --with-api-key` stores; codex exec reads it from there (checked against the real CLI 0.171.0).
        ApiKeyFiles = (_, key) => [(".codex/auth.json", "{\"OPENAI_API_KEY\":\"" + JsonEncodedText.Encode(key) + "\"}\n")],
        // No environment variable sets codex's base URL (OPENAI_BASE_URL is ignored): ~/.codex/config.toml does (CodexConfig).
        BaseUrlVariable = null,
        CredentialFile = ".codex/auth.json",
        // "-" makes codex read the prompt from stdin; a sandbox home is not a git repository; --ephemeral keeps no
        // session files in a home that is thrown away.
        Arguments = model => [.. WithModel(["exec", "--json", "--skip-git-repo-check", "--ephemeral"], "--model", model), "-"],
        CreateMapper = () => new CodexMapper(),
    };

    public static readonly ProviderSpec Google = new()
    {
        Name = "google",
        DefaultApiUrl = new Uri("https://generativelanguage.googleapis.com"),
        DefaultExecutable = "gemini",
        ExecutableOverride = "POLYDEV_AGENT_GEMINI",
        // Gemini CLI loads ~/.gemini/.env into its own process (not into /proc/<pid>/environ, which is fixed at exec).
        ApiKeyFiles = (_, key) => [(".gemini/.env", "GEMINI_API_KEY=" + DotenvQuote(key) + "\n")],
        // Read for the API-key login only; the Google-login (oauth_creds.json) path talks to Code Assist instead.
        BaseUrlVariable = "GOOGLE_GEMINI_BASE_URL",
        CredentialFile = ".gemini/oauth_creds.json",
        // OpenTelemetry is off by default; said so explicitly. Usage statistics (Clearcut, play.googleapis.com) have
        // no variable: JobRunner turns them off in ~/.gemini/settings.json.
        FixedEnvironment = new Dictionary<string, string> { ["GEMINI_TELEMETRY_ENABLED"] = "false" },
        // Headless because stdin is not a terminal; the prompt arrives on stdin. A headless run in a folder the
        // user never trusted exits 55 unless --skip-trust.
        Arguments = model => WithModel(["--output-format", "stream-json", "--skip-trust"], "--model", model),
        CreateMapper = () => new GeminiMapper(),
        StartAhead = new GeminiStartAhead(),
    };

    public static ProviderSpec? Find(string? name) => name switch
    {
        "anthropic" => Anthropic,
        "openai" => OpenAi,
        "google" => Google,
        _ => null,
    };

    /// <summary>Claude Code's <c>apiKeyHelper</c>: prints the key from its 0600 file in the tmpfs home.</summary>
    public static string ClaudeApiKeyHelper(string home) => "/bin/cat " + ShellQuote(Path.Combine(home, ".claude", "polydev-api-key"));

    private static string[] WithModel(string[] arguments, string flag, string? model) =>
        string.IsNullOrEmpty(model) ? arguments : [.. arguments, flag, model];

    /// <summary>A POSIX shell single-quoted word.</summary>
    private static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// A .env value as Gemini CLI's bundled dotenv reads it back: it strips one pair of matching quotes and unescapes
    /// nothing (but <c>\\n</c> inside double quotes), so the value goes between a quote it does not contain.
    /// </summary>
    /// <exception cref="ArgumentException">The key holds a line break, or all three quote characters.</exception>
    private static string DotenvQuote(string value)
    {
        if (value.AsSpan().ContainsAny('\r', '\n'))
        {
            throw new ArgumentException("An API key with a line break cannot be handed to Gemini CLI.", nameof(value));
        }

        foreach (char quote in (char[])['\'', '`', '"'])
        {
            if (!value.Contains(quote, StringComparison.Ordinal) && !(quote == '"' && value.Contains("\\n", StringComparison.Ordinal)))
            {
                return quote + value + quote;
            }
        }

        throw new ArgumentException("An API key holding ', ` and \" at once cannot be handed to Gemini CLI.", nameof(value));
    }
}
