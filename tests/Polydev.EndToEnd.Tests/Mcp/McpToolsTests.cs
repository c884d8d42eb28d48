using System.Text.Json;
using Polydev.EndToEnd.Tests.Executions;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Mcp;

/// <summary>
/// <c>polydev mcp</c> driven by the MCP SDK's own client over stdio, against a real server whose sandboxes run the real
/// Claude Code, Codex and Gemini CLI, each reaching a local stub of its provider through the user's egress port.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed partial class McpToolsTests(McpSandboxes sandboxes) : IClassFixture<McpSandboxes>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Get_perspectives_answers_side_by_side_with_progress_stores_the_chat_and_leaves_no_plaintext_behind()
    {
        await sandboxes.WaitForWarmPoolsAsync();
        await using var mcp = await McpProcess.StartAsync(sandboxes.Cli);

        // The old polydev-ai server's tools, under their names, with their argument names (a superset).
        var tools = (await mcp.Client.ListToolsAsync()).ToDictionary(t => t.Name);
        Assert.Equal(["force_cli_detection", "get_chat", "get_cli_status", "get_perspectives", "list_chats", "send_cli_prompt"], tools.Keys.Order(StringComparer.Ordinal));
        var perspectiveArguments = tools["get_perspectives"].JsonSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Superset(new HashSet<string> { "prompt", "user_token", "project_memory", "max_messages", "temperature", "max_tokens", "project_context" }, perspectiveArguments.ToHashSet());
        var sendArguments = tools["send_cli_prompt"].JsonSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "provider_id", "prompt", "mode", "timeout_ms", "user_id" }, sendArguments);
        Assert.Contains("ignored here", tools["get_perspectives"].JsonSchema.GetProperty("properties").GetProperty("user_token").GetProperty("description").GetString(), StringComparison.Ordinal);

        // A file attached through project_context, read on this machine and sealed with the prompt.
        var project = Directory.CreateTempSubdirectory("polydev-mcp-project-").FullName;
        var fileCanary = Needles.Canary("file");
        await File.WriteAllTextAsync(Path.Combine(project, "notes.md"), $"The build fails with {fileCanary}.");
        var prompt = Needles.Canary("prompt") + " Why does the build fail?";
        var progress = new ProgressLog();
        using var timeout = new CancellationTokenSource(RunTimeout);
        var result = await mcp.CallAsync("get_perspectives", new()
        {
            ["prompt"] = prompt,
            ["project_context"] = new Dictionary<string, object?> { ["root_path"] = project, ["includes"] = new[] { "*.md" } },
            ["user_token"] = "pd_old_token_from_the_old_package",
            ["temperature"] = 0.2,
        }, progress, timeout.Token);

        Assert.False(result.IsError, result.Text() + "\n" + mcp.Logs);
        var text = result.Text();
        foreach (var (name, provider) in sandboxes.Providers)
        {
            Assert.Contains(provider.Stub.Answer, text, StringComparison.Ordinal);
            Assert.All(provider.Stub.ReceivedCredentials, credential => Assert.Equal(sandboxes.ApiKeys[name], credential));
            // The attachment reached each provider's model call, with the prompt.
            Assert.Contains(provider.Stub.RequestBodies, body => body.Contains(fileCanary, StringComparison.Ordinal) && body.Contains(prompt.Split(' ')[0], StringComparison.Ordinal));
        }

        var structured = result.Structured();
        var perspectives = structured.GetProperty("perspectives").EnumerateArray().ToList();
        Assert.Equal(McpSandboxes.Names, perspectives.Select(p => p.GetProperty("provider").GetString()));
        Assert.All(perspectives, p =>
        {
            Assert.True(p.GetProperty("ok").GetBoolean(), p.ToString());
            Assert.True(p.GetProperty("seconds").GetDouble() > 0);
            Assert.True(p.GetProperty("warm_sandbox").GetBoolean());
        });
        Assert.Equal(["claude_code", "codex_cli", "gemini_cli"], perspectives.Select(p => p.GetProperty("legacy_provider_id").GetString()));
        // Claude Code reports its usage (the stub's figures) and the model it used.
        var claude = perspectives[0];
        Assert.True(claude.GetProperty("tokens").GetProperty("output").GetInt64() > 0, claude.ToString());
        Assert.False(string.IsNullOrEmpty(claude.GetProperty("model").GetString()), claude.ToString());

        // Progress: each value new (the server sends them rising; the SDK's client may hand them over on several threads,
        // so arrival order here proves nothing), up to the total, with each provider's phases and its first text.
        var values = progress.Values.OrderBy(v => v.Progress).ToList();
        Assert.NotEmpty(values);
        Assert.True(values.Zip(values.Skip(1)).All(v => v.Second.Progress > v.First.Progress), string.Join(" | ", values.Select(v => $"{v.Progress} {v.Message}")));
        Assert.Equal(values[^1].Total, values[^1].Progress);
        foreach (var cli in (string[])["Claude Code", "Codex", "Gemini CLI"])
        {
            Assert.Contains(values, v => v.Message?.StartsWith($"{cli}: warm sandbox", StringComparison.Ordinal) == true);
            Assert.Contains(values, v => v.Message?.StartsWith($"{cli}: first text: ", StringComparison.Ordinal) == true);
        }

        // The exchange is one of the user's chats: the prompt once, each provider's answer after it.
        var chatId = structured.GetProperty("chat_id").GetString()!;
        var chat = await mcp.CallAsync("get_chat", new() { ["chat"] = chatId });
        var messages = chat.Structured().GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "assistant", "assistant"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Contains(fileCanary, messages[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(sandboxes.Providers.Values.Select(p => p.Stub.Answer).Order(StringComparer.Ordinal), messages.Skip(1).Select(m => m.GetProperty("text").GetString()).Order(StringComparer.Ordinal));
        var chats = await mcp.CallAsync("list_chats", new());
        Assert.Contains(chats.Structured().GetProperty("chats").EnumerateArray(), c => c.GetProperty("id").GetString() == chatId && c.GetProperty("title").GetString()!.StartsWith(prompt.Split(' ')[0], StringComparison.Ordinal));
        // The terminal client reads the same chat.
        Assert.Contains(sandboxes.Providers["google"].Stub.Answer, (await sandboxes.Cli.RunAsync("chats", "show", chatId)).Succeeded().Stdout, StringComparison.Ordinal);

        // Zero knowledge: the prompt, the attached file and the keys appear nowhere the server or the engine keeps things.
        var needles = new Needles().AddText("prompt", prompt).AddText("attached file", fileCanary).AddText("password", sandboxes.Password);
        foreach (var (name, key) in sandboxes.ApiKeys)
        {
            needles.AddText($"{name} key", key);
        }

        needles.AssertAbsentFrom("the server's logs", sandboxes.Server.Logs);
        needles.AssertAbsentFrom("/metrics", await sandboxes.Server.GetAsync("/metrics"));
        needles.AssertAbsentFrom("docker inspect of every container", await Docker.InspectAllContainersAsync());
        needles.AssertAbsentFrom("the MCP server's own logs", mcp.Logs);
    }

    [Fact]
    public async Task Send_cli_prompt_takes_the_old_provider_ids_continues_a_chat_and_a_failing_provider_is_a_reason()
    {
        await sandboxes.WaitForWarmPoolsAsync();
        await using var mcp = await McpProcess.StartAsync(sandboxes.Cli);
        var codex = sandboxes.Providers["openai"];
        var first = await mcp.CallAsync("send_cli_prompt", new() { ["provider_id"] = "codex_cli", ["prompt"] = "Name a sorting algorithm.", ["timeout_ms"] = 120_000, ["mode"] = "args" });
        Assert.False(first.IsError, first.Text());
        Assert.Contains(codex.Stub.Answer, first.Text(), StringComparison.Ordinal);
        var chatId = first.Structured().GetProperty("chat_id").GetString()!;

        // A follow-up in that chat: Codex gets its own thread of it (the first prompt and answer) with the new prompt.
        var firstAnswer = codex.Stub.Answer;
        codex.Stub.Answer = $"The openai stub answers the follow-up {Guid.NewGuid():N}.";
        var followUp = Needles.Canary("follow-up");
        await sandboxes.WaitForWarmPoolsAsync();
        var second = await mcp.CallAsync("send_cli_prompt", new() { ["provider_id"] = "openai", ["prompt"] = followUp, ["chat"] = chatId[..8] });
        Assert.False(second.IsError, second.Text());
        var modelCall = codex.Stub.RequestBodies.Last(b => b.Contains(followUp, StringComparison.Ordinal));
        Assert.Contains(firstAnswer, modelCall, StringComparison.Ordinal);
        Assert.Equal(chatId, second.Structured().GetProperty("chat_id").GetString());

        // get_cli_status: each provider's API key and warm sandboxes, the server ready, the vault unlocked by the session.
        var status = await mcp.CallAsync("get_cli_status", new() { ["user_id"] = "ignored" });
        var report = status.Structured();
        Assert.True(report.GetProperty("server").GetProperty("ready").GetBoolean());
        Assert.Equal("session", report.GetProperty("unlocked_by").GetString());
        Assert.All(report.GetProperty("providers").EnumerateArray(), p =>
        {
            Assert.Equal("api_key", Assert.Single(p.GetProperty("credentials").EnumerateArray()).GetProperty("type").GetString());
            Assert.True(p.GetProperty("sandboxes").GetProperty("enabled").GetBoolean());
        });
        var legacy = await mcp.CallAsync("force_cli_detection", new() { ["provider_id"] = "gemini_cli" });
        Assert.Equal("google", Assert.Single(legacy.Structured().GetProperty("providers").EnumerateArray()).GetProperty("provider").GetString());
        var unknown = await mcp.CallAsync("send_cli_prompt", new() { ["provider_id"] = "cursor_cli", ["prompt"] = "hi" });
        Assert.True(unknown.IsError);
        Assert.Contains("'cursor_cli' is not a provider", unknown.Text(), StringComparison.Ordinal);

        // One provider refused by its API: that perspective carries the classified reason, the others still answer.
        await sandboxes.WaitForWarmPoolsAsync();
        var claude = (Polydev.Testing.ProviderStubs.AnthropicStub)sandboxes.Providers["anthropic"].Stub;
        claude.FailWithStatus = 401;
        try
        {
            var mixed = await mcp.CallAsync("get_perspectives", new() { ["prompt"] = "Compare two approaches.", ["providers"] = new[] { "claude_code", "gemini" } });
            Assert.False(mixed.IsError, mixed.Text());
            var answers = mixed.Structured().GetProperty("perspectives").EnumerateArray().ToDictionary(p => p.GetProperty("provider").GetString()!);
            Assert.False(answers["anthropic"].GetProperty("ok").GetBoolean());
            Assert.Equal("credential_rejected", answers["anthropic"].GetProperty("failure").GetProperty("kind").GetString());
            Assert.True(answers["google"].GetProperty("ok").GetBoolean());
            Assert.Contains("**Failed** (credential_rejected)", mixed.Text(), StringComparison.Ordinal);
        }
        finally
        {
            claude.FailWithStatus = null;
        }
    }

    [Fact]
    public async Task Cancelling_a_call_cancels_its_executions_and_frees_the_sandboxes()
    {
        await sandboxes.WaitForWarmPoolsAsync();
        var claude = (Polydev.Testing.ProviderStubs.AnthropicStub)sandboxes.Providers["anthropic"].Stub;
        claude.ResponseDelay = TimeSpan.FromMinutes(5);
        try
        {
            await using var mcp = await McpProcess.StartAsync(sandboxes.Cli);
            using var cancel = new CancellationTokenSource();
            // Cancelled once the CLI is running in its sandbox (its phase has been reported), as a user pressing Esc.
            var progress = new ProgressLog { OnReport = v => { if (v.Message?.StartsWith("Claude Code: CLI started", StringComparison.Ordinal) == true) cancel.CancelAfter(TimeSpan.FromSeconds(2)); } };
            var call = mcp.CallAsync("send_cli_prompt", new() { ["provider_id"] = "anthropic", ["prompt"] = "This will take long." }, progress, cancel.Token);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await call);

            // The server records the execution as cancelled, and no sandbox of this server runs a job any more.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                var execution = await NewestExecutionAsync("anthropic");
                var jobs = await Docker.JobContainersAsync(sandboxes.ServerId);
                if (execution.GetProperty("reason").GetString() == "cancelled" && jobs.Count == 0)
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"After the cancel: execution {execution}, {jobs.Count} sandbox(es) still running a job.\n{mcp.Logs}");
                await Task.Delay(250);
            }

            // The MCP server is still there for the next call.
            Assert.False((await mcp.CallAsync("list_chats", new())).IsError);
        }
        finally
        {
            claude.ResponseDelay = TimeSpan.Zero;
        }
    }

    /// <summary>The user's newest execution of <paramref name="provider"/>, as <c>GET /api/executions</c> lists it.</summary>
    private async Task<JsonElement> NewestExecutionAsync(string provider)
    {
        using var state = JsonDocument.Parse(await File.ReadAllTextAsync(sandboxes.Cli.StatePath));
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", state.RootElement.GetProperty("token").GetString());
        using var page = JsonDocument.Parse(await http.GetStringAsync(sandboxes.Server.Url + "/api/executions?limit=100"));
        return page.RootElement.GetProperty("items").EnumerateArray()
            .Where(e => e.GetProperty("provider").GetString() == provider)
            .MaxBy(e => e.GetProperty("createdAt").GetDateTimeOffset())
            .Clone();
    }
}
