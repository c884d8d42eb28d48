using System.Text.Json;

namespace Polydev.Agent;

/// <summary>
/// Gemini CLI, <c>--output-format stream-json</c> (init, message, tool_use, tool_result, error, result); field names
/// checked against the real CLI 0.61.0 (docs/events.md). A failed turn is a <c>result</c> with <c>status</c> "error".
/// Its retries show only on stderr ("Attempt 1 failed with status 429. Retrying with backoff...", "Attempt 1 failed.
/// Retrying with backoff... Error: … fetch failed"): they become <see cref="RetryEvent"/>s.
/// </summary>
internal sealed partial class GeminiMapper : IEventMapper
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^Attempt (?<attempt>\d+) failed(?: with status (?<status>\d{3}))?\. Retrying with backoff\.\.\.\s*(?<message>.*)$")]
    private static partial System.Text.RegularExpressions.Regex Retrying();

    public void MapStderr(string line, List<AgentEvent> events)
    {
        if (Retrying().Match(line) is { Success: true } retry)
        {
            events.Add(new RetryEvent
            {
                Status = retry.Groups["status"].Success ? int.Parse(retry.Groups["status"].Value, System.Globalization.CultureInfo.InvariantCulture) : null,
                Attempt = int.Parse(retry.Groups["attempt"].Value, System.Globalization.CultureInfo.InvariantCulture),
                Message = retry.Groups["message"].Value,
            });
        }
    }

    public void Map(JsonElement line, List<AgentEvent> events)
    {
        switch (line.Str("type"))
        {
            case "init":
                events.Add(new StartEvent { Session = line.Str("session_id"), Model = line.Str("model") });
                break;
            case "message" when line.Str("role") == "assistant":
                events.Add(Events.Text(line.Str("content") ?? ""));
                break;
            case "tool_use":
                events.Add(new ToolUseEvent { Id = line.Str("tool_id") ?? "", Name = line.Str("tool_name") ?? "", Input = line.Obj("parameters").Clone() });
                break;
            case "tool_result":
                bool failed = line.Str("status") == "error";
                events.Add(new ToolResultEvent
                {
                    Id = line.Str("tool_id") ?? "",
                    Output = failed ? line.Obj("error").Str("message") ?? line.Str("output") : line.Str("output"),
                    IsError = failed,
                });
                break;
            case "error":
                events.Add(Events.Error(ErrorSources.Cli, line.Str("message") ?? "error"));
                break;
            case "result":
                bool isError = line.Str("status") == "error";
                if (isError && line.Obj("error").Str("message") is { } message)
                {
                    events.Add(Events.Error(ErrorSources.Cli, message));
                }

                JsonElement stats = line.Obj("stats");
                events.Add(new ResultEvent { IsError = isError, Usage = Events.Usage(stats, "cached"), DurationMs = stats.Long("duration_ms") });
                break;
        }
    }
}
