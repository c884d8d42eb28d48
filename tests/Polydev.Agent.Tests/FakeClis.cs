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

    public const string CodexStream = """
        {"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}
        {"type":"turn.started"}
        {"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"**Listing files**"}}
        {"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"","exit_code":null,"status":"in_progress"}}
        {"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"README.md\nsrc\n","exit_code":0,"status":"completed"}}
        {"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"Hi! Two entries."}}
        {"type":"turn.completed","usage":{"input_tokens":2946,"cached_input_tokens":1024,"output_tokens":7}}
        """;

    public static readonly string[] CodexEvents =
    [
        """{"type":"start","session":"0199a213-81c0-7800-8aa1-bbab2a035a53"}""",
        """{"type":"tool_use","id":"item_1","name":"command_execution","input":{"command":"bash -lc ls"}}""",
        """{"type":"tool_result","id":"item_1","output":"README.md\nsrc\n","isError":false}""",
        """{"type":"text","text":"Hi! Two entries."}""",
        """{"type":"result","isError":false,"usage":{"inputTokens":2946,"outputTokens":7,"cachedInputTokens":1024}}""",
        """{"type":"exit","exitCode":0,"reason":"ok"}""",
    ];

    // Real lines of Gemini CLI 0.61.0 (`--output-format stream-json --skip-trust --model gemini-2.5-flash`, API key,
    // against tests/Polydev.Testing/ProviderStubs/GeminiStub: one list_directory call, then the answer). A
    // list_directory result carries no `output` (its display is not a string).
    public const string GeminiStream = """
        {"type":"init","timestamp":"2026-11-27T15:45:50.473Z","session_id":"99322ebc-0737-4dd6-9f43-9d07a2c756f7","model":"gemini-2.5-flash"}
        {"type":"message","timestamp":"2026-11-27T15:45:50.476Z","role":"user","content":"List the files"}
        {"type":"tool_use","timestamp":"2026-11-27T15:45:50.774Z","tool_name":"list_directory","tool_id":"list_directory__list_directory_1795794350716_0","parameters":{"dir_path":"."}}
        {"type":"tool_result","timestamp":"2026-11-27T15:45:50.887Z","tool_id":"list_directory__list_directory_1795794350716_0","status":"success"}
        {"type":"message","timestamp":"2026-11-27T15:45:50.934Z","role":"assistant","content":"Hello from stub.","delta":true}
        {"type":"result","timestamp":"2026-11-27T15:45:50.941Z","status":"success","stats":{"total_tokens":34,"input_tokens":24,"output_tokens":10,"cached":0,"input":24,"duration_ms":469,"tool_calls":1,"models":{"gemini-2.5-flash":{"total_tokens":34,"input_tokens":24,"output_tokens":10,"cached":0,"input":24}}}}
        """;

    public static readonly string[] GeminiEvents =
    [
        """{"type":"start","model":"gemini-2.5-flash","session":"99322ebc-0737-4dd6-9f43-9d07a2c756f7"}""",
        """{"type":"tool_use","id":"list_directory__list_directory_1795794350716_0","name":"list_directory","input":{"dir_path":"."}}""",
        """{"type":"tool_result","id":"list_directory__list_directory_1795794350716_0","isError":false}""",
        """{"type":"text","text":"Hello from stub."}""",
        """{"type":"result","isError":false,"usage":{"inputTokens":24,"outputTokens":10,"cachedInputTokens":0},"durationMs":469}""",
        """{"type":"exit","exitCode":0,"reason":"ok"}""",
    ];

    public sealed record Provider(string Name, string Override, string KeyVariable, string CredentialFile, string Arguments, string Stream, string[] Events);

    public static readonly Provider Claude = new("anthropic", "POLYDEV_AGENT_CLAUDE", "ANTHROPIC_API_KEY", ".claude/.credentials.json", "-p --output-format stream-json --verbose", ClaudeStream, ClaudeEvents);
    public static readonly Provider Codex = new("openai", "POLYDEV_AGENT_CODEX", "OPENAI_API_KEY", ".codex/auth.json", "exec --json --skip-git-repo-check", CodexStream, CodexEvents);
    public static readonly Provider Gemini = new("google", "POLYDEV_AGENT_GEMINI", "GEMINI_API_KEY", ".gemini/oauth_creds.json", "--output-format stream-json --skip-trust", GeminiStream, GeminiEvents);

    public static Provider Get(string name) => name switch
    {
        "anthropic" => Claude,
        "openai" => Codex,
        _ => Gemini,
    };

    public static readonly string[] AllKeyVariables = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"];
}
