namespace Polydev.Contracts;

/// <summary>The providers whose CLIs Polydev runs; the server sees these names, never the secrets.</summary>
public static class Providers
{
    public const string Anthropic = "anthropic";
    public const string OpenAI = "openai";
    public const string Google = "google";

    public static IReadOnlyList<string> All { get; } = [Anthropic, OpenAI, Google];

    public static bool IsKnown(string? provider) => provider is Anthropic or OpenAI or Google;

    /// <summary>The company's name, as people write it ("Anthropic").</summary>
    public static string DisplayName(string provider) => provider switch
    {
        Anthropic => "Anthropic",
        OpenAI => "OpenAI",
        Google => "Google",
        _ => provider,
    };

    /// <summary>The provider's CLI, as people call it ("Claude Code").</summary>
    public static string CliName(string provider) => provider switch
    {
        Anthropic => "Claude Code",
        OpenAI => "Codex",
        Google => "Gemini CLI",
        _ => $"The {provider} CLI",
    };
}
