using System.Text.Json;
using System.Text.Json.Serialization;

namespace Polydev.Agent;

/// <summary>One event of the normalized schema (docs/events.md); each is the plaintext of one output chunk.</summary>
internal sealed class AgentEvent
{
    public required string Type { get; init; }

    public string? Provider { get; set; }

    public string? Model { get; set; }

    public string? Session { get; set; }

    public string? Text { get; set; }

    public string? Id { get; set; }

    public string? Name { get; set; }

    public JsonElement? Input { get; set; }

    public string? Output { get; set; }

    public bool? IsError { get; set; }

    public EventUsage? Usage { get; set; }

    public double? CostUsd { get; set; }

    public long? DurationMs { get; set; }

    public string? Source { get; set; }

    public string? Message { get; set; }

    public int? ExitCode { get; set; }

    public string? Reason { get; set; }

    public static AgentEvent TextDelta(string text) => new() { Type = EventTypes.Text, Text = text };

    public static AgentEvent Error(string source, string message) => new() { Type = EventTypes.Error, Source = source, Message = message };
}

internal sealed class EventUsage
{
    public long? InputTokens { get; set; }

    public long? OutputTokens { get; set; }

    public long? CachedInputTokens { get; set; }
}

internal static class EventTypes
{
    /// <summary>The agent opened the job and is starting the CLI: always the first chunk (sequence 0).</summary>
    public const string Accepted = "accepted";
    public const string Start = "start";
    public const string Text = "text";
    public const string ToolUse = "tool_use";
    public const string ToolResult = "tool_result";
    public const string Result = "result";
    public const string Error = "error";
    public const string Exit = "exit";
}

internal static class ExitReasons
{
    public const string Ok = "ok";
    public const string Timeout = "timeout";
    public const string OutputLimit = "output_limit";
    public const string CliError = "cli_error";
    public const string Killed = "killed";
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AgentEvent))]
internal sealed partial class EventJsonContext : JsonSerializerContext;

[JsonSerializable(typeof(string))]
internal sealed partial class AgentJson : JsonSerializerContext;
