namespace Polydev.Contracts;

/// <summary>The providers whose CLIs Polydev runs; the server sees these names, never the secrets.</summary>
public static class Providers
{
    public const string Anthropic = "anthropic";
    public const string OpenAI = "openai";
    public const string Google = "google";

    public static IReadOnlyList<string> All { get; } = [Anthropic, OpenAI, Google];

    public static bool IsKnown(string? provider) => provider is Anthropic or OpenAI or Google;
}
