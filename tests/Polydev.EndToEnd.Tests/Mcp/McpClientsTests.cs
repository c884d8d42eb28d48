using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.Testing;
using Polydev.Testing.ProviderStubs;

namespace Polydev.EndToEnd.Tests.Mcp;

/// <summary>
/// <c>polydev mcp</c> driven by clients nobody here wrote: the official MCP Inspector's command-line mode, and the
/// real Claude Code as the agent that calls it. Same sandboxes as <see cref="McpToolsTests"/>'s other cases.
/// </summary>
public sealed partial class McpToolsTests
{
    [Fact]
    public async Task The_official_MCP_Inspector_lists_the_tools_and_calls_get_perspectives()
    {
        await sandboxes.WaitForWarmPoolsAsync();
        using var workspace = new Workspace();
        var config = workspace.McpConfig(sandboxes.Cli);

        var list = await RunAsync(Inspector, ["--cli", "--config", config, "--server", "polydev", "--method", "tools/list"], workspace, stdin: "");
        Assert.True(list.ExitCode == 0, list.ToString());
        var names = JsonDocument.Parse(list.Stdout).RootElement.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Equal(["force_cli_detection", "get_chat", "get_cli_status", "get_perspectives", "list_chats", "send_cli_prompt"], names.Order(StringComparer.Ordinal));

        var call = await RunAsync(Inspector, ["--cli", "--config", config, "--server", "polydev", "--method", "tools/call", "--tool-name", "get_perspectives",
            "--tool-arg", "prompt=Which data structure fits an LRU cache?", "--tool-arg", "providers=[\"anthropic\",\"google\"]"], workspace, stdin: "");
        Assert.True(call.ExitCode == 0, call.ToString());
        var result = JsonDocument.Parse(call.Stdout).RootElement;
        Assert.False(result.TryGetProperty("isError", out var isError) && isError.GetBoolean(), call.Stdout);
        var text = string.Concat(result.GetProperty("content").EnumerateArray().Select(c => c.GetProperty("text").GetString()));
        Assert.Contains(sandboxes.Providers["anthropic"].Stub.Answer, text, StringComparison.Ordinal);
        Assert.Contains(sandboxes.Providers["google"].Stub.Answer, text, StringComparison.Ordinal);
        Assert.DoesNotContain(sandboxes.Providers["openai"].Stub.Answer, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_real_Claude_Code_calls_get_perspectives_through_polydev_mcp_and_reads_the_other_CLIs_answers()
    {
        await sandboxes.WaitForWarmPoolsAsync();
        using var workspace = new Workspace();
        // The agent's own model: a stub of its own that first asks for the tool, then answers once it has the result.
        await using var agentModel = new AnthropicStub();
        await agentModel.StartAsync();
        var question = Needles.Canary("agent-question");
        agentModel.ToolCall = ("mcp__polydev__get_perspectives", new JsonObject { ["prompt"] = question, ["providers"] = new JsonArray("openai", "google") });
        agentModel.Answer = $"Both CLIs agree {Guid.NewGuid():N}.";

        var claude = await RunAsync(PinnedClis.Executable("anthropic"),
            ["-p", "--mcp-config", workspace.McpConfig(sandboxes.Cli), "--strict-mcp-config", "--allowedTools", "mcp__polydev__get_perspectives"],
            workspace,
            stdin: "Ask the other coding CLIs how to fix the flaky test, then summarise.",
            new Dictionary<string, string>
            {
                ["ANTHROPIC_BASE_URL"] = agentModel.BaseUrl.ToString().TrimEnd('/'),
                ["ANTHROPIC_API_KEY"] = Needles.Canary("agent-key"),
                ["NODE_EXTRA_CA_CERTS"] = agentModel.AuthorityPemPath,
                ["DISABLE_AUTOUPDATER"] = "1",
                ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
                ["MCP_TIMEOUT"] = "60000",
                ["MCP_TOOL_TIMEOUT"] = "300000",
            });
        Assert.True(claude.ExitCode == 0, claude.ToString());
        Assert.Contains(agentModel.Answer, claude.Stdout, StringComparison.Ordinal);

        // The agent's next model call carries the tool result: Codex's and Gemini CLI's answers, from their sandboxes.
        var withResult = agentModel.RequestBodies.LastOrDefault(b => b.Contains("tool_result", StringComparison.Ordinal));
        Assert.True(withResult is not null, $"Claude Code never sent a tool result.\n{claude}");
        Assert.Contains(sandboxes.Providers["openai"].Stub.Answer, withResult, StringComparison.Ordinal);
        Assert.Contains(sandboxes.Providers["google"].Stub.Answer, withResult, StringComparison.Ordinal);
        // And those CLIs were asked what the agent asked.
        Assert.Contains(sandboxes.Providers["openai"].Stub.RequestBodies, b => b.Contains(question, StringComparison.Ordinal));
        Assert.Contains(sandboxes.Providers["google"].Stub.RequestBodies, b => b.Contains(question, StringComparison.Ordinal));
    }

    /// <summary>The Inspector as scripts/test installs it (scripts/lib/mcp.sh), else where that script puts it.</summary>
    private static string Inspector =>
        Environment.GetEnvironmentVariable("POLYDEV_MCP_INSPECTOR") is { Length: > 0 } path ? path
        : Directory.GetDirectories(Path.Combine(PinnedClis.RepositoryRoot(), ".polydev", "tools"), "mcp-inspector-*")
            .Select(d => Path.Combine(d, "node_modules", ".bin", "mcp-inspector")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("The MCP Inspector is not installed; run the tests through scripts/test (scripts/lib/mcp.sh installs it).");

    private sealed record Run(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    /// <summary>Runs a Node program on the pinned Node, in the workspace as its home, with stdin given and closed.</summary>
    private static async Task<Run> RunAsync(string file, string[] arguments, Workspace workspace, string stdin, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workspace.Directory };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("POLYDEV_", StringComparison.Ordinal) || k.StartsWith("ANTHROPIC_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["PATH"] = $"{PinnedClis.NodeDirectory}:{Environment.GetEnvironmentVariable("PATH")}";
        info.Environment["HOME"] = workspace.Directory;
        info.Environment["MCP_INSPECTOR_SECRET_STORE"] = "memory";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"{Path.GetFileName(file)} did not finish within 4 minutes.\n{await stdout}\n{await stderr}");
        }

        return new Run(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A client's home for one test: its MCP configuration (0600: it holds POLYDEV_SESSION) and nothing else.</summary>
    private sealed class Workspace : IDisposable
    {
        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("polydev-mcp-client-").FullName;

        /// <summary>An MCP configuration naming <c>polydev mcp</c> for <paramref name="cli"/>'s user, as docs/mcp.md shows it.</summary>
        public string McpConfig(Cli cli)
        {
            var polydev = PolydevProcess.StartInfo(["mcp"], new Dictionary<string, string?>());
            var config = new JsonObject
            {
                ["mcpServers"] = new JsonObject
                {
                    ["polydev"] = new JsonObject
                    {
                        ["command"] = polydev.FileName,
                        ["args"] = new JsonArray([.. polydev.ArgumentList.Select(a => (JsonNode)a)]),
                        ["env"] = new JsonObject { ["POLYDEV_HOME"] = cli.Home, ["POLYDEV_SERVER"] = cli.Server, ["POLYDEV_SESSION"] = cli.Session },
                    },
                },
            };
            var path = Path.Combine(Directory, "mcp.json");
            File.WriteAllText(path, config.ToJsonString());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            return path;
        }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }
}
