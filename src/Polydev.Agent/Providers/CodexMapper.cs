using System.Text.Json;

namespace Polydev.Agent;

/// <summary>
/// Codex CLI, <c>codex exec --json</c> (thread/turn/item JSONL events). The answer, usage and error lines are as
/// codex-cli 0.171.0 writes them; its retries arrive as top-level <c>error</c> lines ("Reconnecting... 2/5 (unexpected
/// status 401 Unauthorized: …)", "Reconnecting... waiting for network (…)") and become <see cref="RetryEvent"/>s. The
/// tool items follow its documentation.
/// </summary>
internal sealed partial class CodexMapper : IEventMapper
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^Reconnecting\.\.\. (?:(?<attempt>\d+)/(?<max>\d+)|waiting for network) \((?<message>.*)\)$", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex Reconnecting();

    public void Map(JsonElement line, List<AgentEvent> events)
    {
        JsonElement item = line.Obj("item");
        switch (line.Str("type"))
        {
            case "thread.started":
                events.Add(new StartEvent { Session = line.Str("thread_id") });
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
                        events.Add(Events.Text(item.Str("text") ?? ""));
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
                        events.Add(Events.Error(ErrorSources.Cli, item.Str("message") ?? "error"));
                        break;
                }

                break;
            case "turn.completed":
                events.Add(new ResultEvent { IsError = false, Usage = Events.Usage(line.Obj("usage"), "cached_input_tokens") });
                break;
            case "turn.failed":
                events.Add(Events.Error(ErrorSources.Cli, line.Obj("error").Str("message") ?? "turn failed"));
                events.Add(new ResultEvent { IsError = true });
                break;
            case "error" when Reconnecting().Match(line.Str("message") ?? "") is { Success: true } retry:
                events.Add(new RetryEvent
                {
                    Status = ProviderStatus.In(retry.Groups["message"].Value),
                    Attempt = retry.Groups["attempt"].Success ? int.Parse(retry.Groups["attempt"].Value, System.Globalization.CultureInfo.InvariantCulture) : null,
                    MaxRetries = retry.Groups["max"].Success ? int.Parse(retry.Groups["max"].Value, System.Globalization.CultureInfo.InvariantCulture) : null,
                    Message = retry.Groups["message"].Value,
                });
                break;
            case "error":
                events.Add(Events.Error(ErrorSources.Cli, line.Str("message") ?? "error"));
                break;
        }
    }

    private static ToolUseEvent ToolUse(JsonElement item, string name, JsonElement? input) =>
        new() { Id = item.Str("id") ?? "", Name = name, Input = input };

    private static ToolResultEvent ToolResult(JsonElement item, string? output, bool isError) =>
        new() { Id = item.Str("id") ?? "", Output = output, IsError = isError };

    private static JsonElement? CommandInput(JsonElement item)
    {
        string json = "{\"command\":" + JsonSerializer.Serialize(item.Str("command") ?? "", AgentJson.Default.String) + "}";
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
