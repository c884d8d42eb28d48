using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Polydev.Testing;
using Polydev.Testing.ProviderStubs;

namespace Polydev.Agent.Tests.RealCli;

/// <summary>
/// The pinned Claude Code CLI, run by the real agent process from a sealed job, against <see cref="AnthropicStub"/>
/// through a real forward proxy (Squid, with the user:token credentials a sandbox's egress port takes): what the
/// docs and the recorded lines claim, checked on the real binary.
/// </summary>
public sealed class ClaudeRealCliTests : IAsyncLifetime
{
    private const string Model = "claude-sonnet-4-5";
    private const string ProxyUser = "exec";

    private readonly string _proxyToken = AgentHarness.Secret("proxy-token");
    private readonly AnthropicStub _stub = new() { Answer = "Hello from the Anthropic stub, through the agent." };
    private SquidProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        await _stub.StartAsync();
        _proxy = await SquidProxy.StartAsync(ProxyUser, _proxyToken);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _stub.DisposeAsync();
    }

    [Fact]
    public async Task An_api_key_reaches_the_stub_through_the_proxy_and_the_answer_comes_back_as_events()
    {
        string apiKey = AgentHarness.Secret("sk-ant-api03-canary");

        (AgentResult result, List<JsonObject> events) = await RunAsync("api_key", apiKey);

        Assert.Equal([apiKey], _stub.ReceivedCredentials.Distinct());
        Assert.All(_stub.RequestedModels, model => Assert.Equal(Model, model));
        await AssertOnlyTheStubWentThroughTheProxyAsync();
        AssertAnswered(events);
        Assert.DoesNotContain(apiKey, result.Stderr);
    }

    [Fact]
    public async Task A_credential_file_login_sends_its_access_token_as_a_bearer_to_the_stub_never_the_refresh_token()
    {
        string accessToken = AgentHarness.Secret("sk-ant-oat01-canary");
        string refreshToken = AgentHarness.Secret("sk-ant-ort01-canary");
        // The file `claude /login` writes for a Claude subscription; expiresAt (ms) far ahead, so no refresh is tried.
        string credentialFile = new JsonObject
        {
            ["claudeAiOauth"] = new JsonObject
            {
                ["accessToken"] = accessToken,
                ["refreshToken"] = refreshToken,
                ["expiresAt"] = DateTimeOffset.UtcNow.AddDays(30).ToUnixTimeMilliseconds(),
                ["scopes"] = new JsonArray("user:inference", "user:profile", "user:sessions:claude_code"),
                ["subscriptionType"] = "max",
            },
        }.ToJsonString();

        (AgentResult result, List<JsonObject> events) = await RunAsync("credential_file", credentialFile);

        Assert.Equal([accessToken], _stub.ReceivedCredentials.Distinct());
        Assert.Contains(_proxy.AccessLog.Split('\n'), line => line.Contains($"method=CONNECT url=localhost:{_stub.Port} ") && line.Contains($"user={ProxyUser} "));
        AssertAnswered(events);
        Assert.DoesNotContain(accessToken, result.Stderr);
        Assert.DoesNotContain(refreshToken, result.Stderr);
    }

    /// <summary>
    /// Issue 19: Claude Code started while the sandbox waits (longer than the 3 s a plain <c>-p</c> waits for stdin),
    /// with nothing of the job; the job's key (API key: the apiKeyHelper setting; OAuth: the credential file), model,
    /// base URL, CA and proxy reach it on stdin, and it answers as the CLI started by the job does.
    /// </summary>
    [Theory]
    [InlineData("api_key")]
    [InlineData("credential_file")]
    public async Task A_cli_started_ahead_gets_the_jobs_credential_model_endpoint_and_proxy_only_when_the_job_arrives(string credentialType)
    {
        string secret = AgentHarness.Secret(credentialType == "api_key" ? "sk-ant-api03-canary" : "sk-ant-oat01-canary");
        string credential = credentialType == "api_key"
            ? secret
            : new JsonObject { ["claudeAiOauth"] = new JsonObject { ["accessToken"] = secret, ["refreshToken"] = AgentHarness.Secret("r"), ["expiresAt"] = DateTimeOffset.UtcNow.AddDays(30).ToUnixTimeMilliseconds(), ["scopes"] = new JsonArray("user:inference") } }.ToJsonString();

        (AgentResult result, List<JsonObject> events) = await RunAsync(credentialType, credential, startAhead: true, after: sandbox =>
        {
            // The CLI made ~/.claude before the job (0755); the credential still sits 0600 in a 0700 folder.
            string folder = Path.Combine(sandbox.Home, ".claude");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
            string file = Path.Combine(folder, credentialType == "api_key" ? "polydev-api-key" : ".credentials.json");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        });

        Assert.Equal([secret], _stub.ReceivedCredentials.Distinct());
        Assert.All(_stub.RequestedModels, model => Assert.Equal(Model, model));
        await AssertOnlyTheStubWentThroughTheProxyAsync();
        JsonObject timings = AgentHarness.TakeTimings(events);
        Assert.True((bool?)timings["cliStartedAhead"]);
        Assert.True(result.Phases is { CliStartedAhead: true, FirstTextMs: not null, EgressFirstByteMs: not null });
        AssertAnswered(events);
        Assert.DoesNotContain(secret, result.Stderr);
    }

    [Fact]
    public async Task A_cli_started_ahead_is_gone_when_the_sandbox_is_abandoned()
    {
        using var sandbox = new AgentHarness();
        StartAheadOnPath(sandbox);

        // The CLI runs in the agent's working directory, the sandbox's home, while the sandbox waits; then nothing is left there.
        await sandbox.HelloAsync(["--start-ahead", "anthropic"], beforeClose: async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (ProcessesIn(sandbox.Home).Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            Assert.NotEmpty(ProcessesIn(sandbox.Home));
        });

        Assert.Empty(ProcessesIn(sandbox.Home));
    }

    /// <summary>The processes (other than the agent, which has exited or is not counted) whose working directory is <paramref name="directory"/>.</summary>
    private static List<int> ProcessesIn(string directory) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out int pid) ? pid : 0)
            .Where(pid => pid > 0 && WorkingDirectory(pid) == directory && !IsAgent(pid))];

    private static string? WorkingDirectory(int pid)
    {
        try
        {
            return new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(returnFinalTarget: false)?.FullName;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsAgent(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("polydev-agent", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The pinned CLI as the image's own (<c>claude</c> on PATH): an override's executable is never started ahead.</summary>
    private static void StartAheadOnPath(AgentHarness sandbox) =>
        sandbox.Environment["PATH"] = $"{Path.GetDirectoryName(PinnedClis.Executable("anthropic"))}:{PinnedClis.NodeDirectory}:{Environment.GetEnvironmentVariable("PATH")}";

    [Theory]
    [InlineData(401)]
    [InlineData(500)]
    public async Task A_refused_request_ends_in_a_classified_failure_without_the_key_in_any_event_or_the_agent_stderr(int status)
    {
        _stub.FailWithStatus = status;
        string apiKey = AgentHarness.Secret("sk-ant-api03-canary");

        (AgentResult result, List<JsonObject> events) = await RunAsync("api_key", apiKey);

        Assert.Equal([apiKey], _stub.ReceivedCredentials.Distinct());
        JsonObject exit = events[^1];
        Assert.Equal("exit", (string?)exit["type"]);
        Assert.Equal("cli_error", (string?)exit["reason"]);
        Assert.DoesNotContain(events, e => (string?)e["type"] == "text");
        int requests = _stub.Requests.Count(r => r.PathAndQuery.StartsWith("/v1/messages", StringComparison.Ordinal));
        if (status == 401)
        {
            // The CLI would try six times (its retries, then the apiKeyHelper again); the agent ends the job on the
            // first 401 its api_retry line reports (issue 14).
            Assert.InRange(requests, 1, 3);
            Assert.Contains(events, e => (string?)e["type"] == "retry" && (int?)e["status"] == 401);
            Assert.Equal("credential_rejected", (string?)exit["failure"]?["kind"]);
        }
        else
        {
            // CLAUDE_CODE_MAX_RETRIES=3 (ProviderSpec): the first try and three retries, each a retry event, then the CLI gives up.
            Assert.Equal(4, requests);
            Assert.Equal(3, events.Count(e => (string?)e["type"] == "retry" && (int?)e["status"] == status));
            JsonObject error = Assert.Single(events, e => (string?)e["type"] == "error" && (string?)e["source"] == "cli");
            Assert.Contains($"{status}", (string?)error["message"]);
            Assert.True((bool?)Assert.Single(events, e => (string?)e["type"] == "result")["isError"]);
            Assert.Equal(1, (int?)exit["exitCode"]);
            Assert.Equal("provider_error", (string?)exit["failure"]?["kind"]);
            Assert.Equal(status, (int?)exit["failure"]?["status"]);
        }

        Assert.DoesNotContain(apiKey, string.Concat(events.Select(e => e.ToJsonString())));
        Assert.DoesNotContain(apiKey, result.Stderr);
    }

    private async Task<(AgentResult Result, List<JsonObject> Events)> RunAsync(string credentialType, string credential, bool startAhead = false, Action<AgentHarness>? after = null)
    {
        using var sandbox = new AgentHarness();
        if (startAhead)
        {
            StartAheadOnPath(sandbox);
        }
        else
        {
            sandbox.Environment["POLYDEV_AGENT_CLAUDE"] = PinnedClis.Executable("anthropic");
        }

        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        string proxyUrl = $"http://{ProxyUser}:{_proxyToken}@127.0.0.1:{_proxy.Port}";
        JsonObject job = AgentHarness.Job("anthropic", credentialType, credential, "Say hello.", outputKey, proxyUrl, model: Model, caBundle: _stub.AuthorityPem);
        job["baseUrl"] = _stub.BaseUrl.AbsoluteUri.TrimEnd('/');
        AgentResult result = startAhead
            ? await sandbox.RunAsync(job, serveArgs: ["--start-ahead", "anthropic"], jobAfter: TimeSpan.FromSeconds(4))
            : await sandbox.RunAsync(job);

        Assert.True(result.ExitCode == 0, result.Stderr);
        after?.Invoke(sandbox);
        return (result, await AgentHarness.DecryptAsync(result.Stdout, outputKey));
    }

    /// <summary>The API traffic went through the proxy (the CLI does not bypass it for localhost) and nothing else did.</summary>
    private async Task AssertOnlyTheStubWentThroughTheProxyAsync()
    {
        await _proxy.WaitForAccessLogAsync(line => line.Contains($"method=CONNECT url=localhost:{_stub.Port} ") && line.Contains($"user={ProxyUser} "));
        // "method=-" lines are connections that sent no request, such as Squid's own readiness probe.
        string[] requests = _proxy.AccessLog.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => !line.Contains(" method=- ")).ToArray();
        Assert.All(requests, line => Assert.Contains($"method=CONNECT url=localhost:{_stub.Port} ", line));
    }

    private void AssertAnswered(List<JsonObject> events)
    {
        Assert.Equal("start", (string?)events[0]["type"]);
        Assert.False(string.IsNullOrEmpty((string?)events[0]["session"]));
        Assert.Equal(_stub.Answer, string.Concat(events.Where(e => (string?)e["type"] == "text").Select(e => (string?)e["text"])));
        Assert.DoesNotContain(events, e => (string?)e["type"] == "error");

        JsonObject result = Assert.Single(events, e => (string?)e["type"] == "result");
        Assert.False((bool?)result["isError"]);
        Assert.Equal(_stub.Answer, (string?)result["text"]);
        Assert.Equal(_stub.InputTokens, (int?)result["usage"]?["inputTokens"]);
        Assert.Equal(_stub.OutputTokens, (int?)result["usage"]?["outputTokens"]);
        Assert.Equal(_stub.CacheReadInputTokens, (int?)result["usage"]?["cachedInputTokens"]);

        JsonObject exit = events[^1];
        Assert.Equal("exit", (string?)exit["type"]);
        Assert.Equal("ok", (string?)exit["reason"]);
        Assert.Equal(0, (int?)exit["exitCode"]);
    }
}
