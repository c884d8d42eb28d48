using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace Polydev.Agent;

/// <summary>
/// One job handed to Gemini CLI started ahead in its Agent Client Protocol mode (<see cref="GeminiStartAhead"/>): each
/// answer decides the next request (authenticate → session/new → session/set_model → session/prompt), and the
/// session's notifications become the events a CLI started by the job gives (docs/events.md, "Gemini CLI started
/// ahead"): <c>start</c> with the session, <c>text</c> per <c>agent_message_chunk</c>, <c>tool_use</c> and
/// <c>tool_result</c> per tool call, <c>result</c> with the token counts of the prompt's answer. A request that fails
/// is an <c>error</c> (the CLI's message, with the provider's HTTP status it carries) and a failed <c>result</c>. When
/// the prompt is answered, stdin closes and the CLI exits.
/// </summary>
internal sealed class AcpDialogue : ICliDialogue, IEventMapper
{
    private const int AuthenticateId = 2;
    private const int NewSessionId = 3;
    private const int SetModelId = 4;
    private const int PromptId = 5;

    private readonly StartAheadJob _job;
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<string> _toolCalls = new(StringComparer.Ordinal);
    private readonly GeminiMapper _stderr = new();
    private string? _sessionId;
    private long _promptSent;
    private bool _askedToSignIn;
    private bool _failed;

    public AcpDialogue(StartAheadJob job)
    {
        _job = job;
        Send(Request(AuthenticateId, "authenticate", w =>
        {
            bool apiKey = job.Credential.Type == JobCredential.ApiKey;
            w.WriteString("methodId", apiKey ? "gemini-api-key" : "oauth-personal");
            if (apiKey)
            {
                w.WriteStartObject("_meta");
                w.WriteString("api-key", job.Credential.Value);
                if (job.BaseUrl is { } baseUrl)
                {
                    w.WriteStartObject("gateway");
                    w.WriteString("baseUrl", baseUrl);
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }
        }));
    }

    public IEventMapper Mapper => this;

    public bool TurnFailed => Volatile.Read(ref _failed);

    public async Task FeedAsync(Stream stdin, CancellationToken cancellationToken)
    {
        await foreach (byte[] message in _outgoing.Reader.ReadAllAsync(cancellationToken))
        {
            await stdin.WriteAsync(message, cancellationToken);
            await stdin.FlushAsync(cancellationToken);
        }
    }

    public void MapStderr(string line, List<AgentEvent> events) => _stderr.MapStderr(line, events);

    /// <summary>
    /// A line that is not JSON-RPC: when a Google login cannot be verified, the CLI falls back to an interactive
    /// sign-in on its terminal (a URL on stdout, then a code read from stdin) and would wait for ever. That is a
    /// rejected credential; the rest of its prompt is not repeated.
    /// </summary>
    public void MapUnparsed(string line, List<AgentEvent> events)
    {
        if (line.Contains("authorize the application", StringComparison.Ordinal))
        {
            _askedToSignIn = true;
            Fail(events, "Failed to authenticate: the Google login could not be verified, and Gemini CLI asked for an interactive sign-in.");
        }
        else if (!_askedToSignIn)
        {
            events.Add(Events.Error(ErrorSources.Stdout, line));
        }
    }

    public void Map(JsonElement line, List<AgentEvent> events)
    {
        bool hasId = line.TryGetProperty("id", out JsonElement id);
        switch (line.Str("method"))
        {
            case null when hasId:
                Answered(id.ValueKind == JsonValueKind.Number && id.TryGetInt32(out int number) ? number : 0, line, events);
                break;
            case "session/update":
                Update(line.Obj("params").Obj("update"), events);
                break;
            case "session/request_permission" when hasId:
                // A CLI started by the job runs headless, where a tool that needs approval is refused: the same here.
                Send(Answer(id, w =>
                {
                    string? reject = line.Obj("params").Arr("options").FirstOrDefault(o => o.Str("kind") == "reject_once").Str("optionId");
                    w.WriteStartObject("outcome");
                    w.WriteString("outcome", reject is null ? "cancelled" : "selected");
                    if (reject is not null)
                    {
                        w.WriteString("optionId", reject);
                    }

                    w.WriteEndObject();
                }));
                break;
            case { } when hasId:
                // The client's file system and terminal were not offered; nothing else is the client's to do.
                Send(Message(w =>
                {
                    WriteId(w, id);
                    w.WriteStartObject("error");
                    w.WriteNumber("code", -32601);
                    w.WriteString("message", "Method not found");
                    w.WriteEndObject();
                }));
                break;
        }
    }

    private void Answered(int id, JsonElement line, List<AgentEvent> events)
    {
        if (line.TryGetProperty("error", out JsonElement error))
        {
            string message = error.Str("message") ?? "The request failed.";
            // The provider's HTTP status is the error's code (session/prompt); JSON-RPC's own codes are negative.
            Fail(events, error.Long("code") is >= 400 and < 600 and long status ? $"{message} (status {status})" : message);
            return;
        }

        JsonElement result = line.Obj("result");
        switch (id)
        {
            case AuthenticateId:
                Send(Request(NewSessionId, "session/new", w =>
                {
                    w.WriteString("cwd", _job.Home);
                    w.WriteStartArray("mcpServers");
                    w.WriteEndArray();
                }));
                break;
            case NewSessionId:
                _sessionId = result.Str("sessionId") ?? "";
                events.Add(new StartEvent { Session = _sessionId, Model = _job.Model ?? result.Obj("models").Str("currentModelId") });
                if (_job.Model is { } model)
                {
                    Send(Request(SetModelId, "session/set_model", w =>
                    {
                        w.WriteString("sessionId", _sessionId);
                        w.WriteString("modelId", model);
                    }));
                }
                else
                {
                    SendPrompt();
                }

                break;
            case SetModelId:
                SendPrompt();
                break;
            case PromptId:
                string? stop = result.Str("stopReason");
                events.Add(new ResultEvent
                {
                    IsError = stop is "refusal" or "cancelled",
                    Usage = Events.Usage(result.Obj("_meta").Obj("quota").Obj("token_count"), "cached_input_tokens"),
                    DurationMs = (long)Stopwatch.GetElapsedTime(_promptSent).TotalMilliseconds,
                });
                _outgoing.Writer.TryComplete();
                break;
        }
    }

    private void SendPrompt()
    {
        _promptSent = Stopwatch.GetTimestamp();
        Send(Request(PromptId, "session/prompt", w =>
        {
            w.WriteString("sessionId", _sessionId);
            w.WriteStartArray("prompt");
            w.WriteStartObject();
            w.WriteString("type", "text");
            w.WriteString("text", _job.Prompt);
            w.WriteEndObject();
            w.WriteEndArray();
        }));
    }

    private void Update(JsonElement update, List<AgentEvent> events)
    {
        switch (update.Str("sessionUpdate"))
        {
            case "agent_message_chunk" when update.Obj("content").Str("type") == "text":
                events.Add(Events.Text(update.Obj("content").Str("text") ?? ""));
                break;
            case "tool_call" when update.Str("toolCallId") is { } id && _toolCalls.Add(id):
                // ACP names a tool call by its title and kind, not by the tool's own name and arguments.
                events.Add(new ToolUseEvent { Id = id, Name = update.Str("title") ?? update.Str("kind") ?? "", Input = ToolInput(update) });
                break;
            case "tool_call_update" when update.Str("status") is "completed" or "failed":
                bool failed = update.Str("status") == "failed";
                events.Add(new ToolResultEvent { Id = update.Str("toolCallId") ?? "", Output = ContentText(update), IsError = failed });
                break;
        }
    }

    /// <summary>What ACP tells of a tool call's input: its kind and the files it touches.</summary>
    private static JsonElement? ToolInput(JsonElement update)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (update.Str("kind") is { } kind)
            {
                w.WriteString("kind", kind);
            }

            if (update.TryGetProperty("locations", out JsonElement locations) && locations.ValueKind == JsonValueKind.Array)
            {
                w.WritePropertyName("locations");
                locations.WriteTo(w);
            }

            w.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>The text of a tool call's content blocks (<c>{type: content, content: {type: text, text}}</c>), or null.</summary>
    private static string? ContentText(JsonElement update)
    {
        string[] texts = [.. update.Arr("content").Select(c => c.Obj("content").Str("text")).OfType<string>()];
        return texts.Length == 0 ? null : string.Join('\n', texts);
    }

    private void Fail(List<AgentEvent> events, string message)
    {
        events.Add(Events.Error(ErrorSources.Cli, message));
        events.Add(new ResultEvent { IsError = true });
        Volatile.Write(ref _failed, true);
        _outgoing.Writer.TryComplete();
    }

    private void Send(byte[] message) => _outgoing.Writer.TryWrite(message);

    /// <summary>One JSON-RPC request line.</summary>
    public static byte[] Request(int id, string method, Action<Utf8JsonWriter> parameters) => Message(w =>
    {
        w.WriteNumber("id", id);
        w.WriteString("method", method);
        w.WriteStartObject("params");
        parameters(w);
        w.WriteEndObject();
    });

    private static byte[] Answer(JsonElement id, Action<Utf8JsonWriter> result) => Message(w =>
    {
        WriteId(w, id);
        w.WriteStartObject("result");
        result(w);
        w.WriteEndObject();
    });

    private static void WriteId(Utf8JsonWriter w, JsonElement id)
    {
        w.WritePropertyName("id");
        id.WriteTo(w);
    }

    private static byte[] Message(Action<Utf8JsonWriter> body)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("jsonrpc", "2.0");
            body(w);
            w.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
