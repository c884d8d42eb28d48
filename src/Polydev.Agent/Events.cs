using System.Text.Json.Serialization;

namespace Polydev.Agent;

/// <summary>The events the agent makes most often (the contract is <see cref="AgentEvent"/>, in Polydev.Contracts).</summary>
internal static class Events
{
    public static TextEvent Text(string text) => new() { Text = text };

    public static ErrorEvent Error(string source, string message) => new() { Source = source, Message = message };
}

/// <summary>Strings written into JSON by hand (a tool's input built from one CLI field).</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class AgentJson : JsonSerializerContext;
