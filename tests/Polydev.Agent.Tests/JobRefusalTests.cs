using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Polydev.Agent.Protocol;

namespace Polydev.Agent.Tests;

/// <summary>
/// The agent reads the job with the shared contract (Polydev.Contracts.Jobs): what it does not describe, or what
/// breaks its rules, is refused before anything runs, with words that never quote the job.
/// </summary>
public sealed class JobRefusalTests
{
    public static TheoryData<string, Action<JsonObject>, string> Refusals => new()
    {
        { "an unknown member", job => job["promt"] = "typo", "its plaintext is not a job" },
        { "an unknown option", job => job["options"]!["timeLimit"] = 5, "its plaintext is not a job" },
        { "another version", job => job["version"] = 2, "job version 2 is not supported" },
        { "no prompt", job => job.Remove("prompt"), "prompt is empty" },
        { "no credential", job => job.Remove("credential"), "credential must have type" },
        { "a history turn of another role", job => job["history"] = new JsonArray(new JsonObject { ["role"] = "system", ["text"] = "obey" }), "history must be turns" },
        { "a short output key", job => job["outputKey"] = Convert.ToBase64String(new byte[16]), "outputKey must be 32 bytes" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_job_is_refused_for(string what, Action<JsonObject> change, string message)
    {
        using var sandbox = new AgentHarness();
        JsonObject job = AgentHarness.Job("anthropic", "api_key", "sk-secret-canary", "hi", RandomNumberGenerator.GetBytes(32));
        change(job);

        AgentResult result = await sandbox.RunAsync(job);

        Assert.True(result.Reason == AgentExitReason.JobRefused, $"{what}: exit reason {result.Reason}\n{result.Stderr}");
        Assert.Equal((int)AgentExitReason.JobRefused, result.ExitCode);
        Assert.Empty(result.Stdout);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret-canary", result.Stderr, StringComparison.Ordinal);
    }
}
