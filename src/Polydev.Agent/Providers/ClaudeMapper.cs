using System.Text.Json;

namespace Polydev.Agent;

/// <summary>
/// Claude Code, <c>claude -p --output-format stream-json --verbose</c> (with or without --include-partial-messages);
/// line shapes checked against the real CLI 2.1.332. <c>system</c>/<c>api_retry</c> lines (the provider's status, the
/// attempt) become <see cref="RetryEvent"/>s; other system lines are progress notes and are ignored.
/// </summary>
internal sealed class ClaudeMapper : IEventMapper
{
    private bool _sawDeltas;

    public void Map(JsonElement line, List<AgentEvent> events)
    {
        switch (line.Str("type"))
        {
            case "system" when line.Str("subtype") == "init":
                events.Add(new StartEvent { Session = line.Str("session_id"), Model = line.Str("model") });
                break;
            case "system" when line.Str("subtype") == "api_retry":
                events.Add(new RetryEvent
                {
                    Status = (int?)line.Long("error_status"),
                    Attempt = (int?)line.Long("attempt"),
                    MaxRetries = (int?)line.Long("max_retries"),
                    DelayMs = line.Long("retry_delay_ms"),
                    Message = line.Str("error"),
                });
                break;
            case "control_response" when line.Obj("response").Str("subtype") == "error":
                // The answer to a setting the agent handed a CLI started ahead (ClaudeStartAhead); success says nothing.
                events.Add(Events.Error(ErrorSources.Cli, "Claude Code refused the job's settings: " + (line.Obj("response").Str("error") ?? "no reason given")));
                break;
            case "stream_event":
                JsonElement inner = line.Obj("event");
                if (inner.Str("type") == "content_block_delta" && inner.Obj("delta").Str("type") == "text_delta")
                {
                    _sawDeltas = true;
                    events.Add(Events.Text(inner.Obj("delta").Str("text") ?? ""));
                }

                break;
            case "assistant" when line.Bool("is_api_error_message") == true:
                // A failed API call (after the CLI's retries) comes as a synthetic assistant message whose text is
                // the error ("Failed to authenticate. API Error: 401 …"): an error, not part of the answer.
                events.Add(Events.Error(ErrorSources.Cli, line.Obj("message").Obj("content").Flatten() ?? line.Str("error") ?? "API error"));
                break;
            case "assistant":
                foreach (JsonElement block in line.Obj("message").Arr("content"))
                {
                    switch (block.Str("type"))
                    {
                        case "text" when !_sawDeltas:
                            events.Add(Events.Text(block.Str("text") ?? ""));
                            break;
                        case "tool_use":
                            events.Add(new ToolUseEvent { Id = block.Str("id") ?? "", Name = block.Str("name") ?? "", Input = block.Obj("input").Clone() });
                            break;
                    }
                }

                break;
            case "user":
                foreach (JsonElement block in line.Obj("message").Arr("content"))
                {
                    if (block.Str("type") == "tool_result")
                    {
                        events.Add(new ToolResultEvent
                        {
                            Id = block.Str("tool_use_id") ?? "",
                            Output = block.Obj("content").Flatten(),
                            IsError = block.Bool("is_error") ?? false,
                        });
                    }
                }

                break;
            case "result":
                events.Add(new ResultEvent
                {
                    IsError = line.Bool("is_error") ?? line.Str("subtype") != "success",
                    Text = line.Str("result"),
                    Usage = Events.Usage(line.Obj("usage"), "cache_read_input_tokens"),
                    CostUsd = line.Double("total_cost_usd"),
                    DurationMs = line.Long("duration_ms"),
                });
                break;
        }
    }
}
