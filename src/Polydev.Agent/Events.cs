using System.Text.Json;
using System.Text.Json.Serialization;

namespace Polydev.Agent;

/// <summary>The events the agent makes most often (the contract is <see cref="AgentEvent"/>, in Polydev.Contracts).</summary>
internal static class Events
{
    public static TextEvent Text(string text) => new() { Text = text };

    public static ErrorEvent Error(string source, string message) => new() { Source = source, Message = message };

    /// <summary>
    /// Token counts as the three CLIs report them: <c>input_tokens</c> and <c>output_tokens</c>, and each its own
    /// name for the cached part of the input.
    /// </summary>
    public static EventUsage Usage(JsonElement usage, string cachedInputField) => new()
    {
        InputTokens = usage.Long("input_tokens"),
        OutputTokens = usage.Long("output_tokens"),
        CachedInputTokens = usage.Long(cachedInputField),
    };
}

/// <summary>Strings written into JSON by hand (a tool's input built from one CLI field).</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class AgentJson : JsonSerializerContext;
