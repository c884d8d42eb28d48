namespace Polydev.Agent.Tests;

/// <summary>
/// Recorded stream events in each real CLI's format (shapes from the CLIs' docs; see docs/events.md), and the
/// normalized events the agent must turn them into.
/// </summary>
internal static class FakeClis
{
    public const string ClaudeStream = """
        {"type":"system","subtype":"init","cwd":"/home/agent","session_id":"9f1c2d3e-0000-4000-8000-000000000001","tools":["Bash","Read"],"mcp_servers":[],"model":"claude-sonnet-4-5","permissionMode":"default","apiKeySource":"ANTHROPIC_API_KEY"}
        {"type":"assistant","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_01","name":"Bash","input":{"command":"ls"}}],"stop_reason":"tool_use","usage":{"input_tokens":12,"output_tokens":8}},"parent_tool_use_id":null,"session_id":"9f1c2d3e-0000-4000-8000-000000000001"}
        {"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_01","type":"tool_result","content":"README.md\nsrc","is_error":false}]},"parent_tool_use_id":null,"session_id":"9f1c2d3e-0000-4000-8000-000000000001"}
        {"type":"assistant","message":{"id":"msg_02","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hi! Two entries."}],"stop_reason":"end_turn","usage":{"input_tokens":18,"output_tokens":12}},"parent_tool_use_id":null,"session_id":"9f1c2d3e-0000-4000-8000-000000000001"}
        {"type":"result","subtype":"success","is_error":false,"duration_ms":2150,"duration_api_ms":1900,"num_turns":2,"result":"Hi! Two entries.","session_id":"9f1c2d3e-0000-4000-8000-000000000001","total_cost_usd":0.0123,"usage":{"input_tokens":30,"cache_creation_input_tokens":0,"cache_read_input_tokens":5,"output_tokens":20}}
        """;

    public static readonly string[] ClaudeEvents =
    [
        """{"type":"start","model":"claude-sonnet-4-5","session":"9f1c2d3e-0000-4000-8000-000000000001"}""",
        """{"type":"text","text":"Let me check."}""",
        """{"type":"tool_use","id":"toolu_01","name":"Bash","input":{"command":"ls"}}""",
        """{"type":"tool_result","id":"toolu_01","output":"README.md\nsrc","isError":false}""",
        """{"type":"text","text":"Hi! Two entries."}""",
        """{"type":"result","text":"Hi! Two entries.","isError":false,"usage":{"inputTokens":30,"outputTokens":20,"cachedInputTokens":5},"costUsd":0.0123,"durationMs":2150}""",
        """{"type":"exit","exitCode":0,"reason":"ok"}""",
    ];

    // Captured from codex-cli 0.171.0 (`codex exec --json`) answering one prompt from OpenAiStub.
    public const string CodexStream = """
        {"type":"thread.started","thread_id":"01a21dad-1daf-7ac3-a27c-2944737d0666"}
        {"type":"turn.started"}
        {"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"Hello from stub."}}
        {"type":"turn.completed","usage":{"input_tokens":1200,"cached_input_tokens":100,"cache_write_input_tokens":0,"output_tokens":5,"reasoning_output_tokens":0}}
        """;

    public static readonly string[] CodexEvents =
    [
        """{"type":"start","session":"01a21dad-1daf-7ac3-a27c-2944737d0666"}""",
        """{"type":"text","text":"Hello from stub."}""",
        """{"type":"result","isError":false,"usage":{"inputTokens":1200,"outputTokens":5,"cachedInputTokens":100}}""",
        """{"type":"exit","exitCode":0,"reason":"ok"}""",
    ];

    public const string GeminiStream = """
        {"type":"init","timestamp":"2025-10-10T12:00:00.000Z","session_id":"c0ffee00-0000-4000-8000-000000000002","model":"gemini-2.5-pro"}
        {"type":"message","timestamp":"2025-10-10T12:00:00.010Z","role":"user","content":"(the prompt)"}
        {"type":"tool_use","timestamp":"2025-10-10T12:00:01.000Z","tool_name":"list_directory","tool_id":"list_directory-1","parameters":{"dir_path":"."}}
        {"type":"tool_result","timestamp":"2025-10-10T12:00:01.100Z","tool_id":"list_directory-1","status":"success","output":"Listed 2 item(s)."}
        {"type":"message","timestamp":"2025-10-10T12:00:02.000Z","role":"assistant","content":"Hi! ","delta":true}
        {"type":"message","timestamp":"2025-10-10T12:00:02.100Z","role":"assistant","content":"Two entries.","delta":true}
        {"type":"result","timestamp":"2025-10-10T12:00:02.200Z","status":"success","stats":{"total_tokens":260,"input_tokens":200,"output_tokens":50,"cached":10,"duration_ms":1800,"tool_calls":1}}
        """;

    public static readonly string[] GeminiEvents =
    [
        """{"type":"start","model":"gemini-2.5-pro","session":"c0ffee00-0000-4000-8000-000000000002"}""",
        """{"type":"tool_use","id":"list_directory-1","name":"list_directory","input":{"dir_path":"."}}""",
        """{"type":"tool_result","id":"list_directory-1","output":"Listed 2 item(s).","isError":false}""",
        """{"type":"text","text":"Hi! "}""",
        """{"type":"text","text":"Two entries."}""",
        """{"type":"result","isError":false,"usage":{"inputTokens":200,"outputTokens":50,"cachedInputTokens":10},"durationMs":1800}""",
        """{"type":"exit","exitCode":0,"reason":"ok"}""",
    ];

    public sealed record Provider(string Name, string Override, string KeyVariable, string CredentialFile, string Arguments, string Stream, string[] Events);

    public static readonly Provider Claude = new("anthropic", "POLYDEV_AGENT_CLAUDE", "ANTHROPIC_API_KEY", ".claude/.credentials.json", "-p --output-format stream-json --verbose", ClaudeStream, ClaudeEvents);
    public static readonly Provider Codex = new("openai", "POLYDEV_AGENT_CODEX", "CODEX_API_KEY", ".codex/auth.json", "exec --json --skip-git-repo-check --ephemeral", CodexStream, CodexEvents);
    public static readonly Provider Gemini = new("google", "POLYDEV_AGENT_GEMINI", "GEMINI_API_KEY", ".gemini/oauth_creds.json", "--output-format stream-json", GeminiStream, GeminiEvents);

    public static Provider Get(string name) => name switch
    {
        "anthropic" => Claude,
        "openai" => Codex,
        _ => Gemini,
    };

    public static readonly string[] AllKeyVariables = ["ANTHROPIC_API_KEY", "CODEX_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"];
}
