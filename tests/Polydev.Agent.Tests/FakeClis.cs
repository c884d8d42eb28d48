namespace Polydev.Agent.Tests;

/// <summary>
/// Recorded stream events in each real CLI's format (shapes from the CLIs' docs; see docs/events.md), and the
/// normalized events the agent must turn them into.
/// </summary>
internal static class FakeClis
{
    /// <summary>
    /// Recorded from the real Claude Code 2.1.332 (<c>-p --output-format stream-json --verbose --no-session-persistence</c>)
    /// against AnthropicStub answering with a Read tool call first; home and working directory renamed.
    /// </summary>
    public const string ClaudeStream = """
        {"type":"system","subtype":"init","cwd":"/home/agent/work","session_id":"0943ec93-342e-498c-ae5e-a202ac716e19","tools":["Task","Bash","CronCreate","CronDelete","CronList","Edit","EnterWorktree","ExitWorktree","ListAgents","Monitor","NotebookEdit","Read","ReportFindings","ScheduleWakeup","SendMessage","Skill","TaskStop","ToolSearch","WebFetch","WebSearch","Workflow","Write"],"mcp_servers":[],"model":"claude-opus-5-5","permissionMode":"default","slash_commands":["deep-research","dataviz","update-config","verify","debug","code-review","simplify","batch","fewer-permission-prompts","doctor","loop","claude-api","workflow-authoring","run","run-skill-generator","plugin-authoring","agents","auto-mode-setup","autocompact","clear","color","compact","config","output-style","context","effort","fast","focus","heapdump","init","mcp","model","__remote-workflow","workflow-launch-exec","reload-plugins","reload-skills","rename","security-review","usage","insights","recap","goal","list-agents","team-onboarding"],"terminal_slash_commands":["doctor","color","focus","reload-plugins"],"apiKeySource":"ANTHROPIC_API_KEY","claude_code_version":"2.1.332","output_style":"default","agents":["claude","Explore","general-purpose","Plan","statusline-setup"],"skills":["deep-research","dataviz","update-config","verify","debug","code-review","simplify","batch","fewer-permission-prompts","doctor","loop","claude-api","workflow-authoring","run","run-skill-generator","plugin-authoring"],"plugins":[{"name":"cc-plugin-agents-md","path":"builtin","source":"cc-plugin-agents-md@builtin"},{"name":"cc-plugin-privacy","path":"builtin","source":"cc-plugin-privacy@builtin"},{"name":"cc-plugin-plugin-authoring","path":"builtin","source":"cc-plugin-plugin-authoring@builtin"}],"capabilities":["interrupt_receipt_v1","interrupt_cancel_queued_v1","interrupt_send_now_v1","interrupt_requeue_taken_v1","msg_lifecycle_v1","request_marker_lists_v1","ask_user_question_unanswered_v1","lifecycle_wakeup_source_v1","sdk_mcp_tools_list_changed","sdk_mcp_manifests","mcp_read_resource_v1","mcp_tool_ui_meta_v1","ui_surface_v1","mcp_call_result_not_for_model_v1","mcp_call_soft_error_result_v1","mcp_call_check_permissions_v1","voice_call_talk_line_v1","withdrawn_files_note_v2","withdrawn_tools_v1","ui_pane_widget_v1","reload_plugins_refuse_if_busy_v1","get_usage_detached_v1","silent_resend_files_v1"],"analytics_disabled":true,"product_feedback_disabled":true,"served_by_anthropic":false,"uuid":"8421756e-e327-4df4-a90f-346caa804a86","sandbox_enabled":false,"memory_paths":{"auto":"/home/agent/.claude/projects/-home-agent-work/memory/"},"original_cwd":"/home/agent/work","additional_directories":[],"messaging_socket_path":"/tmp/cc-socks/30634.sock","fast_mode_state":"off","fast_mode_disabled_reason":"sdk_opt_in_required","per_turn_effort_active":true,"ultrathink_available":false,"ultrathink_typed_raises":false,"view_mode":"default"}
        {"type":"assistant","message":{"id":"msg_stub1","type":"message","role":"assistant","model":"claude-opus-5-5","content":[{"type":"text","text":"Let me look."}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0},"context_management":null},"parent_tool_use_id":null,"session_id":"0943ec93-342e-498c-ae5e-a202ac716e19","uuid":"1b68c12b-19e0-4735-9db6-d9946882b8a8","timestamp":"2026-11-27T15:44:12.001Z"}
        {"type":"assistant","message":{"id":"msg_stub1","type":"message","role":"assistant","model":"claude-opus-5-5","content":[{"type":"tool_use","id":"toolu_stub01","name":"Read","input":{"file_path":"/home/agent/work/hello.txt"}}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0},"context_management":null},"parent_tool_use_id":null,"session_id":"0943ec93-342e-498c-ae5e-a202ac716e19","uuid":"24c2fa10-c40b-405d-9fc5-c23c0e40a2c3","timestamp":"2026-11-27T15:44:12.007Z"}
        {"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_stub01","type":"tool_result","content":"1\ttwo lines\n2\tof text\n3\t"}]},"parent_tool_use_id":null,"session_id":"0943ec93-342e-498c-ae5e-a202ac716e19","uuid":"bb04dbac-bd13-46db-b0be-e6adbfd3c44e","timestamp":"2026-11-27T15:44:12.098Z","tool_use_result":{"type":"text","file":{"filePath":"/home/agent/work/hello.txt","content":"two lines\nof text\n","numLines":3,"startLine":1,"totalLines":3}},"tool_result_meta":[{"id":"toolu_stub01","permission_decision":{"decision":"accept","source":"config","reason_type":"mode"}}]}
        {"type":"assistant","message":{"id":"msg_stub1","type":"message","role":"assistant","model":"claude-opus-5-5","content":[{"type":"text","text":"Hello from the stub."}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0},"context_management":null},"parent_tool_use_id":null,"session_id":"0943ec93-342e-498c-ae5e-a202ac716e19","uuid":"10da8905-6fda-4479-a46e-d683d7182728","timestamp":"2026-11-27T15:44:12.150Z"}
        {"duration_api_ms":197,"stop_reason":"end_turn","session_id":"0943ec93-342e-498c-ae5e-a202ac716e19","total_cost_usd":0.000908,"usage":{"input_tokens":42,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":37,"output_tokens_details":{"thinking_tokens":0},"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":"standard","cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":0},"inference_geo":"","iterations":[],"speed":"standard","fallback_credit":null},"modelUsage":{"claude-opus-5-5":{"inputTokens":42,"outputTokens":37,"cacheReadInputTokens":0,"cacheCreationInputTokens":0,"webSearchRequests":0,"costUSD":0.000908,"contextWindow":1000000,"maxOutputTokens":128000,"thinkingTokens":0,"cacheCreationEphemeral5mInputTokens":0,"cacheCreationEphemeral1hInputTokens":0,"canonicalModel":"claude-opus-5-5","provider":"firstParty","costBasis":"list"}},"permission_denials":[],"terminal_reason":"completed","fast_mode_state":"off","fast_mode_disabled_reason":"sdk_opt_in_required","subagent_stats":{"spawned":0,"requested":{"background":0,"foreground":0,"unset":0},"started_in_background":0,"max_depth":0,"spawned_by_subagents":0,"completed":0,"failed":0,"killed":{"parent":0,"user":0,"system":0},"refused":{"depth_limit":0,"concurrency_limit":0,"budget":0},"by_type":{}},"safety_stops":0,"is_error":false,"num_turns":2,"subtype":"success","api_error_status":null,"result":"Hello from the stub.","ttft_ms":384,"type":"result","duration_ms":541,"uuid":"ad10ab5c-7eca-49ce-8ded-587aa7844395","ttft_stream_ms":382,"time_to_request_ms":330,"first_content_frame_ms":383,"queued_turn_count":0,"result_index":0,"model_usage_since_last_result":{"claude-opus-5-5":{"inputTokens":42,"outputTokens":37,"cacheReadInputTokens":0,"cacheCreationInputTokens":0,"webSearchRequests":0,"costUSD":0.000908,"contextWindow":1000000,"maxOutputTokens":128000,"thinkingTokens":0,"cacheCreationEphemeral5mInputTokens":0,"cacheCreationEphemeral1hInputTokens":0,"canonicalModel":"claude-opus-5-5","provider":"firstParty","costBasis":"list"}}}
        """;

    public static readonly string[] ClaudeEvents =
    [
        """{"type":"start","model":"claude-opus-5-5","session":"0943ec93-342e-498c-ae5e-a202ac716e19"}""",
        """{"type":"text","text":"Let me look."}""",
        """{"type":"tool_use","id":"toolu_stub01","name":"Read","input":{"file_path":"/home/agent/work/hello.txt"}}""",
        """{"type":"tool_result","id":"toolu_stub01","output":"1\ttwo lines\n2\tof text\n3\t","isError":false}""",
        """{"type":"text","text":"Hello from the stub."}""",
        """{"type":"result","text":"Hello from the stub.","isError":false,"usage":{"inputTokens":42,"outputTokens":37,"cachedInputTokens":0},"costUsd":0.000908,"durationMs":541}""",
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

    /// <param name="KeyFile">Where (relative to HOME) the agent puts an API key for this CLI: never its environment.</param>
    public sealed record Provider(string Name, string Override, string KeyFile, string CredentialFile, string Arguments, string Stream, string[] Events);

    public static readonly Provider Claude = new("anthropic", "POLYDEV_AGENT_CLAUDE", ".claude/polydev-api-key", ".claude/.credentials.json", "-p --output-format stream-json --verbose --no-session-persistence", ClaudeStream, ClaudeEvents);
    public static readonly Provider Codex = new("openai", "POLYDEV_AGENT_CODEX", ".codex/auth.json", ".codex/auth.json", "exec --json --skip-git-repo-check --ephemeral", CodexStream, CodexEvents);
    public static readonly Provider Gemini = new("google", "POLYDEV_AGENT_GEMINI", ".gemini/.env", ".gemini/oauth_creds.json", "--output-format stream-json --skip-trust", GeminiStream, GeminiEvents);

    public static Provider Get(string name) => name switch
    {
        "anthropic" => Claude,
        "openai" => Codex,
        _ => Gemini,
    };

    public static readonly string[] AllKeyVariables = ["ANTHROPIC_API_KEY", "CODEX_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"];
}
