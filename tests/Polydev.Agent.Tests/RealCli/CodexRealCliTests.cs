using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Polydev.Testing;
using Polydev.Testing.ProviderStubs;

namespace Polydev.Agent.Tests.RealCli;

/// <summary>
/// The real, pinned Codex CLI run by the real agent against <see cref="OpenAiStub"/>, with its traffic through a
/// local Squid: what the sandbox does, minus the container.
/// </summary>
public sealed class CodexRealCliTests
{
    [Fact]
    public async Task An_api_key_job_reaches_the_stub_through_the_proxy_and_streams_the_answer_and_usage()
    {
        await using var stub = new OpenAiStub { Answer = "Hello from the OpenAI stub, " + AgentHarness.Secret("answer") };
        await stub.StartAsync();
        await using SquidProxy squid = await SquidProxy.StartAsync();
        string apiKey = AgentHarness.Secret("sk-canary");

        CodexRun run = await RunAsync(stub, squid, "api_key", apiKey);

        Assert.True(run.Result.ExitCode == 0, run.Result.Stderr);
        Assert.NotEmpty(stub.ReceivedCredentials);
        Assert.All(stub.ReceivedCredentials, credential => Assert.Equal(apiKey, credential));
        // One prompt is one streamed response; nothing else (no model list, no WebSocket attempt).
        Assert.All(stub.Requests, request => Assert.Equal(new StubRequest("POST", "/v1/responses"), request));
        await AssertOnlyTheStubWasReachedThroughTheProxyAsync(squid, stub);
        AssertAnswered(run.Events, stub.Answer);
    }

    [Fact]
    public async Task A_chatgpt_login_in_auth_json_sends_its_access_token_to_the_stub_through_the_proxy()
    {
        await using var stub = new OpenAiStub();
        await stub.StartAsync();
        await using SquidProxy squid = await SquidProxy.StartAsync();
        string accessToken = Jwt(new JsonObject { ["canary"] = AgentHarness.Secret("access-canary") });
        string refreshToken = AgentHarness.Secret("refresh-canary");

        CodexRun run = await RunAsync(stub, squid, "credential_file", ChatGptAuthJson(accessToken, refreshToken));

        Assert.True(run.Result.ExitCode == 0, run.Result.Stderr);
        Assert.NotEmpty(stub.ReceivedCredentials);
        Assert.All(stub.ReceivedCredentials, credential => Assert.Equal(accessToken, credential));
        Assert.Contains(new StubRequest("POST", "/v1/responses"), stub.Requests);
        await AssertOnlyTheStubWasReachedThroughTheProxyAsync(squid, stub);
        AssertAnswered(run.Events, stub.Answer);
    }

    [Fact]
    public async Task A_rejected_key_ends_the_job_at_the_first_401_without_the_key_in_any_message()
    {
        await using var stub = new OpenAiStub { FailWithStatus = 401 };
        await stub.StartAsync();
        await using SquidProxy squid = await SquidProxy.StartAsync();
        string apiKey = AgentHarness.Secret("sk-canary");

        CodexRun run = await RunAsync(stub, squid, "api_key", apiKey);

        Assert.True(run.Result.ExitCode == 0, run.Result.Stderr);
        Assert.Contains(apiKey, stub.ReceivedCredentials);
        // Codex retries a 401 five times; the agent ends the job on the first (issue 14).
        Assert.Single(stub.Requests);
        Assert.Contains(run.Events, e => Type(e) == "retry" && (int?)e["status"] == 401 && (int?)e["attempt"] == 1 && (int?)e["maxRetries"] == 5);
        Assert.Equal("cli_error", (string?)run.Events[^1]["reason"]);
        Assert.Equal("credential_rejected", (string?)run.Events[^1]["failure"]?["kind"]);
        foreach (JsonObject e in run.Events)
        {
            Assert.DoesNotContain(apiKey, e.ToJsonString(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(apiKey, run.Result.Stderr, StringComparison.Ordinal);
    }

    private sealed record CodexRun(AgentResult Result, List<JsonObject> Events);

    private static async Task<CodexRun> RunAsync(OpenAiStub stub, SquidProxy squid, string credentialType, string credential)
    {
        using var sandbox = new AgentHarness();
        sandbox.Environment["POLYDEV_AGENT_CODEX"] = PinnedClis.Executable("openai");
        // The npm shim runs on the pinned Node, as in the runtime image.
        sandbox.Environment["PATH"] = PinnedClis.NodeDirectory + ":" + Environment.GetEnvironmentVariable("PATH");
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        JsonObject job = AgentHarness.Job("openai", credentialType, credential, "Say hello.", outputKey,
            proxyUrl: squid.Address.ToString(), timeLimitSeconds: 50, caBundle: stub.AuthorityPem);
        job["baseUrl"] = stub.BaseUrl + "v1";
        AgentResult result = await sandbox.RunAsync(job);
        return new CodexRun(result, await AgentHarness.DecryptAsync(result.Stdout, outputKey));
    }

    private static void AssertAnswered(List<JsonObject> events, string answer)
    {
        string text = string.Concat(events.Where(e => Type(e) == "text").Select(e => (string?)e["text"]));
        Assert.Equal(answer, text);
        JsonObject result = Assert.Single(events, e => Type(e) == "result");
        Assert.False((bool?)result["isError"]);
        Assert.Equal(
            new JsonObject { ["inputTokens"] = OpenAiStub.InputTokens, ["outputTokens"] = OpenAiStub.OutputTokens, ["cachedInputTokens"] = OpenAiStub.CachedInputTokens }.ToJsonString(),
            result["usage"]?.ToJsonString());
        Assert.Equal("start", Type(events[0]));
        // The real CLI through a real proxy: every phase reached, in order, the egress pair seen at the agent's relay.
        JsonObject timings = AgentHarness.TakeTimings(events);
        long[] phases = [.. new[] { "credentialPlacedMs", "cliSpawnedMs", "egressFirstByteMs", "providerFirstByteMs", "firstTextMs", "endMs" }
            .Select(name => timings[name]?.GetValue<long>() ?? throw new Xunit.Sdk.XunitException($"{name} missing: {timings.ToJsonString()}"))];
        Assert.True(phases.Zip(phases.Skip(1)).All(p => p.First <= p.Second), timings.ToJsonString());
        Assert.Equal("""{"type":"exit","exitCode":0,"reason":"ok"}""", events[^1].ToJsonString());
    }

    /// <summary>The CLI tunnelled to the stub (no bypass for localhost) and to no other host (no analytics, plugins, updates).</summary>
    private static async Task AssertOnlyTheStubWasReachedThroughTheProxyAsync(SquidProxy squid, OpenAiStub stub)
    {
        string target = $"url=localhost:{stub.Port} ";
        await squid.WaitForAccessLogAsync(line => line.Contains("method=CONNECT", StringComparison.Ordinal) && line.Contains(target, StringComparison.Ordinal));
        // "method=-" lines are connections without a request, such as SquidProxy's own readiness probe.
        string[] requests = squid.AccessLog.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => !line.Contains(" method=- ", StringComparison.Ordinal)).ToArray();
        Assert.All(requests, line => Assert.Contains(target, line, StringComparison.Ordinal));
    }

    private static string? Type(JsonObject e) => (string?)e["type"];

    /// <summary>
    /// A ChatGPT login as <c>codex login</c> stores it: the tokens of the OAuth flow, the account id (sent as the
    /// <c>ChatGPT-Account-Id</c> header) and the time of the last refresh (recent, so the CLI does not refresh first).
    /// </summary>
    private static string ChatGptAuthJson(string accessToken, string refreshToken) => new JsonObject
    {
        ["auth_mode"] = "chatgpt",
        ["OPENAI_API_KEY"] = null,
        ["tokens"] = new JsonObject
        {
            ["id_token"] = Jwt(new JsonObject { ["email"] = "user@example.com", ["email_verified"] = true }),
            ["access_token"] = accessToken,
            ["refresh_token"] = refreshToken,
            ["account_id"] = "acct-stub",
        },
        ["last_refresh"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture),
    }.ToJsonString();

    /// <summary>An unsigned JWT with the claims codex reads (account, plan, expiry); the stub does not verify it.</summary>
    private static string Jwt(JsonObject claims)
    {
        claims["exp"] = DateTimeOffset.UtcNow.AddDays(30).ToUnixTimeSeconds();
        claims["https://api.openai.com/auth"] = new JsonObject { ["chatgpt_account_id"] = "acct-stub", ["chatgpt_plan_type"] = "plus", ["chatgpt_user_id"] = "user-stub" };
        static string Part(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{Part("""{"alg":"RS256","typ":"JWT"}""")}.{Part(claims.ToJsonString())}.{Part("stub-signature")}";
    }
}
