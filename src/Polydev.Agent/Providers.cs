using System.Text;
using System.Text.Json;

namespace Polydev.Agent;

/// <summary>How the agent runs one provider's CLI headless and where that CLI expects its credential.</summary>
internal sealed class ProviderSpec
{
    public required string Name { get; init; }

    public required string DefaultExecutable { get; init; }

    /// <summary>Environment variable (of the agent) that overrides the executable path, for tests and images.</summary>
    public required string ExecutableOverride { get; init; }

    public required string ApiKeyVariable { get; init; }

    /// <summary>The CLI's credential file, relative to HOME.</summary>
    public required string CredentialFile { get; init; }

    public required Func<string?, string[]> Arguments { get; init; }

    public required Func<IEventMapper> CreateMapper { get; init; }

    public static readonly ProviderSpec Anthropic = new()
    {
        Name = "anthropic",
        DefaultExecutable = "claude",
        ExecutableOverride = "POLYDEV_AGENT_CLAUDE",
        ApiKeyVariable = "ANTHROPIC_API_KEY",
        CredentialFile = ".claude/.credentials.json",
        Arguments = model => WithModel(["-p", "--output-format", "stream-json", "--verbose"], "--model", model),
        CreateMapper = () => new ClaudeMapper(),
    };

    public static readonly ProviderSpec OpenAi = new()
    {
        Name = "openai",
        DefaultExecutable = "codex",
        ExecutableOverride = "POLYDEV_AGENT_CODEX",
        ApiKeyVariable = "OPENAI_API_KEY",
        CredentialFile = ".codex/auth.json",
        // "-" makes codex read the prompt from stdin; a sandbox home is not a git repository.
        Arguments = model => [.. WithModel(["exec", "--json", "--skip-git-repo-check"], "--model", model), "-"],
        CreateMapper = () => new CodexMapper(),
    };

    public static readonly ProviderSpec Google = new()
    {
        Name = "google",
        DefaultExecutable = "gemini",
        ExecutableOverride = "POLYDEV_AGENT_GEMINI",
        ApiKeyVariable = "GEMINI_API_KEY",
        CredentialFile = ".gemini/oauth_creds.json",
        // Headless because stdin is not a terminal; the prompt arrives on stdin.
        Arguments = model => WithModel(["--output-format", "stream-json"], "--model", model),
        CreateMapper = () => new GeminiMapper(),
    };

    public static ProviderSpec? Find(string? name) => name switch
    {
        "anthropic" => Anthropic,
        "openai" => OpenAi,
        "google" => Google,
        _ => null,
    };

    private static string[] WithModel(string[] arguments, string flag, string? model) =>
        string.IsNullOrEmpty(model) ? arguments : [.. arguments, flag, model];
}

/// <summary>Turns one line of a CLI's JSON stream into normalized events.</summary>
internal interface IEventMapper
{
    void Map(JsonElement line, List<AgentEvent> events);
}

internal static class Json
{
    public static string? Str(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static long? Long(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l) ? l : null;

    public static double? Double(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    public static bool? Bool(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    public static JsonElement Obj(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) ? v : default;

    public static IEnumerable<JsonElement> Arr(this JsonElement e, string name) =>
        e.Obj(name) is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray() : [];

    public static JsonElement? Clone(this JsonElement e) => e.ValueKind == JsonValueKind.Undefined ? null : e.Clone();

    /// <summary>A tool output that may be a string, an array of text blocks, or anything else (written as JSON).</summary>
    public static string? Flatten(this JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Array:
                var text = new StringBuilder();
                foreach (JsonElement item in e.EnumerateArray())
                {
                    text.Append(item.ValueKind == JsonValueKind.String ? item.GetString() : item.Str("text") ?? item.GetRawText());
                }

                return text.ToString();
            default:
                return e.GetRawText();
        }
    }
}

/// <summary>Claude Code, <c>claude -p --output-format stream-json --verbose</c> (with or without --include-partial-messages).</summary>
internal sealed class ClaudeMapper : IEventMapper
{
    private bool _sawDeltas;

    public void Map(JsonElement line, List<AgentEvent> events)
    {
        switch (line.Str("type"))
        {
            case "system" when line.Str("subtype") == "init":
                events.Add(new AgentEvent { Type = EventTypes.Start, Session = line.Str("session_id"), Model = line.Str("model") });
                break;
            case "stream_event":
                JsonElement inner = line.Obj("event");
                if (inner.Str("type") == "content_block_delta" && inner.Obj("delta").Str("type") == "text_delta")
                {
                    _sawDeltas = true;
                    events.Add(AgentEvent.TextDelta(inner.Obj("delta").Str("text") ?? ""));
                }

                break;
            case "assistant":
                foreach (JsonElement block in line.Obj("message").Arr("content"))
                {
                    switch (block.Str("type"))
                    {
                        case "text" when !_sawDeltas:
                            events.Add(AgentEvent.TextDelta(block.Str("text") ?? ""));
                            break;
                        case "tool_use":
                            events.Add(new AgentEvent { Type = EventTypes.ToolUse, Id = block.Str("id"), Name = block.Str("name"), Input = block.Obj("input").Clone() });
                            break;
                    }
                }

                break;
            case "user":
                foreach (JsonElement block in line.Obj("message").Arr("content"))
                {
                    if (block.Str("type") == "tool_result")
                    {
                        events.Add(new AgentEvent
                        {
                            Type = EventTypes.ToolResult,
                            Id = block.Str("tool_use_id"),
                            Output = block.Obj("content").Flatten(),
                            IsError = block.Bool("is_error") ?? false,
                        });
                    }
                }

                break;
            case "result":
                JsonElement usage = line.Obj("usage");
                events.Add(new AgentEvent
                {
                    Type = EventTypes.Result,
                    IsError = line.Bool("is_error") ?? line.Str("subtype") != "success",
                    Text = line.Str("result"),
                    Usage = new EventUsage
                    {
                        InputTokens = usage.Long("input_tokens"),
                        OutputTokens = usage.Long("output_tokens"),
                        CachedInputTokens = usage.Long("cache_read_input_tokens"),
                    },
                    CostUsd = line.Double("total_cost_usd"),
                    DurationMs = line.Long("duration_ms"),
                });
                break;
        }
    }
}

/// <summary>Codex CLI, <c>codex exec --json</c> (thread/turn/item JSONL events).</summary>
internal sealed class CodexMapper : IEventMapper
{
    public void Map(JsonElement line, List<AgentEvent> events)
    {
        JsonElement item = line.Obj("item");
        switch (line.Str("type"))
        {
            case "thread.started":
                events.Add(new AgentEvent { Type = EventTypes.Start, Session = line.Str("thread_id") });
                break;
            case "item.started" when item.Str("type") == "command_execution":
                events.Add(ToolUse(item, "command_execution", CommandInput(item)));
                break;
            case "item.started" when item.Str("type") == "mcp_tool_call":
                events.Add(ToolUse(item, $"{item.Str("server")}/{item.Str("tool")}", item.Obj("arguments").Clone()));
                break;
            case "item.completed":
                switch (item.Str("type"))
                {
                    case "agent_message":
                        events.Add(AgentEvent.TextDelta(item.Str("text") ?? ""));
                        break;
                    case "command_execution":
                        long? exitCode = item.Long("exit_code");
                        events.Add(ToolResult(item, item.Str("aggregated_output"), item.Str("status") == "failed" || exitCode is not null and not 0));
                        break;
                    case "mcp_tool_call":
                        bool failed = item.Str("status") == "failed";
                        events.Add(ToolResult(item, failed ? item.Obj("error").Str("message") : item.Obj("result").Flatten(), failed));
                        break;
                    case "file_change":
                        events.Add(ToolUse(item, "file_change", item.Obj("changes").Clone()));
                        events.Add(ToolResult(item, item.Str("status"), item.Str("status") == "failed"));
                        break;
                    case "web_search":
                        using (JsonDocument query = JsonDocument.Parse(JsonSerializer.Serialize(item.Str("query") ?? "", AgentJson.Default.String)))
                        {
                            events.Add(ToolUse(item, "web_search", query.RootElement.Clone()));
                        }

                        break;
                    case "error":
                        events.Add(AgentEvent.Error("cli", item.Str("message") ?? "error"));
                        break;
                }

                break;
            case "turn.completed":
                JsonElement usage = line.Obj("usage");
                events.Add(new AgentEvent
                {
                    Type = EventTypes.Result,
                    IsError = false,
                    Usage = new EventUsage
                    {
                        InputTokens = usage.Long("input_tokens"),
                        OutputTokens = usage.Long("output_tokens"),
                        CachedInputTokens = usage.Long("cached_input_tokens"),
                    },
                });
                break;
            case "turn.failed":
                events.Add(AgentEvent.Error("cli", line.Obj("error").Str("message") ?? "turn failed"));
                events.Add(new AgentEvent { Type = EventTypes.Result, IsError = true });
                break;
            case "error":
                events.Add(AgentEvent.Error("cli", line.Str("message") ?? "error"));
                break;
        }
    }

    private static AgentEvent ToolUse(JsonElement item, string name, JsonElement? input) =>
        new() { Type = EventTypes.ToolUse, Id = item.Str("id"), Name = name, Input = input };

    private static AgentEvent ToolResult(JsonElement item, string? output, bool isError) =>
        new() { Type = EventTypes.ToolResult, Id = item.Str("id"), Output = output, IsError = isError };

    private static JsonElement? CommandInput(JsonElement item)
    {
        string json = "{\"command\":" + JsonSerializer.Serialize(item.Str("command") ?? "", AgentJson.Default.String) + "}";
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

/// <summary>Gemini CLI, <c>--output-format stream-json</c> (init, message, tool_use, tool_result, error, result).</summary>
internal sealed class GeminiMapper : IEventMapper
{
    public void Map(JsonElement line, List<AgentEvent> events)
    {
        switch (line.Str("type"))
        {
            case "init":
                events.Add(new AgentEvent { Type = EventTypes.Start, Session = line.Str("session_id"), Model = line.Str("model") });
                break;
            case "message" when line.Str("role") == "assistant":
                events.Add(AgentEvent.TextDelta(line.Str("content") ?? ""));
                break;
            case "tool_use":
                events.Add(new AgentEvent { Type = EventTypes.ToolUse, Id = line.Str("tool_id"), Name = line.Str("tool_name"), Input = line.Obj("parameters").Clone() });
                break;
            case "tool_result":
                bool failed = line.Str("status") == "error";
                events.Add(new AgentEvent
                {
                    Type = EventTypes.ToolResult,
                    Id = line.Str("tool_id"),
                    Output = failed ? line.Obj("error").Str("message") ?? line.Str("output") : line.Str("output"),
                    IsError = failed,
                });
                break;
            case "error":
                events.Add(AgentEvent.Error("cli", line.Str("message") ?? "error"));
                break;
            case "result":
                bool isError = line.Str("status") == "error";
                if (isError && line.Obj("error").Str("message") is { } message)
                {
                    events.Add(AgentEvent.Error("cli", message));
                }

                JsonElement stats = line.Obj("stats");
                events.Add(new AgentEvent
                {
                    Type = EventTypes.Result,
                    IsError = isError,
                    Usage = new EventUsage
                    {
                        InputTokens = stats.Long("input_tokens"),
                        OutputTokens = stats.Long("output_tokens"),
                        CachedInputTokens = stats.Long("cached"),
                    },
                    DurationMs = stats.Long("duration_ms"),
                });
                break;
        }
    }
}
