using Polydev.Contracts;

namespace Polydev.Client.Mcp;

/// <summary>
/// Provider names as the MCP tools take them: Polydev's own (<c>anthropic</c>, <c>openai</c>, <c>google</c>), the old
/// <c>polydev-ai</c> package's CLI ids (<c>claude_code</c>, <c>codex_cli</c>, <c>gemini_cli</c>), and the runtime kinds
/// and CLI names people say (<c>claude</c>, <c>codex</c>, <c>gemini</c>).
/// </summary>
internal static class ProviderIds
{
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        [Providers.Anthropic] = Providers.Anthropic,
        ["claude_code"] = Providers.Anthropic,
        ["claude"] = Providers.Anthropic,
        ["claude-code"] = Providers.Anthropic,
        [Providers.OpenAI] = Providers.OpenAI,
        ["codex_cli"] = Providers.OpenAI,
        ["codex"] = Providers.OpenAI,
        [Providers.Google] = Providers.Google,
        ["gemini_cli"] = Providers.Google,
        ["gemini"] = Providers.Google,
    };

    /// <summary>Every name a tool accepts, for its description.</summary>
    public const string Accepted = "anthropic, openai, google (or claude_code, codex_cli, gemini_cli; claude, codex, gemini)";

    /// <summary>Polydev's provider name for <paramref name="id"/>.</summary>
    /// <exception cref="ToolInputException">Not a provider.</exception>
    public static string Resolve(string id) =>
        Aliases.TryGetValue(id.Trim(), out var provider)
            ? provider
            : throw new ToolInputException($"'{id}' is not a provider; use one of {Accepted}.");

    /// <summary>The old package's id for <paramref name="provider"/>, reported beside Polydev's name so old callers recognise it.</summary>
    public static string LegacyId(string provider) => provider switch
    {
        Providers.Anthropic => "claude_code",
        Providers.OpenAI => "codex_cli",
        Providers.Google => "gemini_cli",
        _ => provider,
    };
}

/// <summary>A tool's arguments are wrong; the message says which and what is accepted.</summary>
internal sealed class ToolInputException(string message) : CliException(message, ExitCodes.Usage);
