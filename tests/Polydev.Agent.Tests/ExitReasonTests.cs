using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Polydev.Agent.Tests;

/// <summary>
/// An exit code above 128 is what a signal leaves, but also what a CLI's own large exit status leaves (Gemini CLI
/// exits with the API's HTTP status): the agent tells them apart by whether the CLI reported a failed turn first.
/// </summary>
public sealed class ExitReasonTests
{
    [Fact]
    public async Task A_cli_killed_by_a_signal_it_did_not_get_from_the_agent_is_reported_killed()
    {
        List<JsonObject> events = await RunGeminiAsync("""
            cat > /dev/null
            echo '{"type":"init","session_id":"s","model":"auto"}'
            kill -KILL $$
            """);

        Assert.Equal("killed", events[^1]["reason"]!.GetValue<string>());
        Assert.Equal("cli_crashed", events[^1]["failure"]!["kind"]!.GetValue<string>());
        Assert.Equal(137, events[^1]["exitCode"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_cli_that_reported_a_failed_turn_and_exited_244_by_itself_is_reported_cli_error_with_the_providers_status()
    {
        List<JsonObject> events = await RunGeminiAsync("""
            cat > /dev/null
            echo '{"type":"result","status":"error","error":{"type":"unknown","message":"[API Error: 500]"},"stats":{"input_tokens":0,"output_tokens":0}}'
            exit 244
            """);

        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "result" && e["isError"]!.GetValue<bool>());
        Assert.Equal("cli_error", events[^1]["reason"]!.GetValue<string>());
        Assert.Equal(244, events[^1]["exitCode"]!.GetValue<int>());
        Assert.Equal("""{"kind":"provider_error","status":500,"detail":"[API Error: 500]"}""", events[^1]["failure"]!.ToJsonString());
    }

    private static async Task<List<JsonObject>> RunGeminiAsync(string script)
    {
        using var sandbox = new AgentHarness();
        sandbox.Environment["POLYDEV_AGENT_GEMINI"] = sandbox.WriteScript("fake-gemini", script);
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        AgentResult result = await sandbox.RunAsync(
            AgentHarness.Job("google", "api_key", "AIza-x", "hi", outputKey, timeLimitSeconds: 30));
        Assert.True(result.ExitCode == 0, result.Stderr);
        return await AgentHarness.DecryptAsync(result.Stdout, outputKey);
    }
}
