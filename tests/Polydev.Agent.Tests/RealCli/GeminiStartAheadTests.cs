using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Polydev.Testing;
using Polydev.Testing.ProviderStubs;

namespace Polydev.Agent.Tests.RealCli;

/// <summary>
/// Issue 19: the pinned Gemini CLI started ahead in its Agent Client Protocol mode (<c>gemini --acp</c>) by the real
/// agent, holding nothing of any job, then handed the job: through the agent's relay to a Squid that wants the job's
/// proxy credentials, to <see cref="GeminiStub"/>, whose CA the runtime kind names (<c>POLYDEV_AGENT_START_AHEAD_CA</c>).
/// </summary>
public sealed class GeminiStartAheadTests : IAsyncLifetime
{
    private const string ProxyUser = "exec";

    private readonly string _proxyToken = AgentHarness.Secret("proxy-token");
    private readonly GeminiStub _stub = new() { Answer = "Hi from the Gemini stub, started ahead " + AgentHarness.Secret("answer") };
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
    public async Task A_cli_started_ahead_answers_with_the_jobs_key_model_and_endpoint_and_holds_neither_key_nor_proxy_token_in_its_process()
    {
        string key = AgentHarness.Secret("AIza-canary");
        var seen = new List<string>();

        var (result, events) = await RunAsync("api_key", key, "gemini-2.5-flash", trustAtStart: true, whileRunning: async sandbox =>
        {
            // The CLI's own process (started before the job) while it works on the job: its arguments and environment.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (seen.Count == 0 && DateTime.UtcNow < deadline)
            {
                seen.AddRange(ProcessesIn(sandbox.Home).Select(pid => Read($"/proc/{pid}/cmdline") + "\n" + Read($"/proc/{pid}/environ")));
                await Task.Delay(50);
            }
        });

        Assert.NotEmpty(seen);
        Assert.All(seen, process =>
        {
            Assert.Contains("--acp", process, StringComparison.Ordinal);
            Assert.DoesNotContain(key, process, StringComparison.Ordinal);
            Assert.DoesNotContain(_proxyToken, process, StringComparison.Ordinal);
        });
        Assert.NotEmpty(_stub.ReceivedCredentials);
        Assert.All(_stub.ReceivedCredentials, credential => Assert.Equal(key, credential));
        Assert.Contains(_stub.Requests, r => r.PathAndQuery == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
        await AssertOnlyTheStubWentThroughTheProxyAsync();

        JsonObject timings = AgentHarness.TakeTimings(events);
        Assert.True((bool?)timings["cliStartedAhead"]);
        Assert.True(result.Phases is { CliStartedAhead: true, FirstTextMs: not null, EgressFirstByteMs: not null, ProviderFirstByteMs: not null });
        Assert.Equal("start", Type(events[0]));
        Assert.False(string.IsNullOrEmpty((string?)events[0]["session"]));
        Assert.Equal("gemini-2.5-flash", (string?)events[0]["model"]);
        Assert.Equal(_stub.Answer, string.Concat(events.Where(e => Type(e) == "text").Select(e => (string?)e["text"])));
        // The CLI's stderr (ripgrep missing, its start-up profiler) is reported at the end, as for a CLI the job starts.
        Assert.Empty(events.Where(e => Type(e) == "error" && (string?)e["source"] != "stderr").Select(e => e.ToJsonString()));
        JsonObject turn = Assert.Single(events, e => Type(e) == "result");
        Assert.False((bool?)turn["isError"]);
        Assert.True((long?)turn["usage"]?["inputTokens"] > 0);
        Assert.True((long?)turn["usage"]?["outputTokens"] > 0);
        Assert.Equal("ok", (string?)events[^1]["reason"]);
        Assert.Equal(0, (int?)events[^1]["exitCode"]);
        AssertNowhere(key, result, events);
    }

    [Fact]
    public async Task A_rejected_key_handed_to_a_cli_started_ahead_is_credential_rejected()
    {
        _stub.FailWithStatus = 401;
        string key = AgentHarness.Secret("AIza-canary");

        var (result, events) = await RunAsync("api_key", key, "gemini-2.5-flash", trustAtStart: true);

        Assert.All(_stub.ReceivedCredentials, credential => Assert.Equal(key, credential));
        Assert.True((bool?)AgentHarness.TakeTimings(events)["cliStartedAhead"]);
        Assert.Contains(events, e => Type(e) == "error" && (string?)e["source"] == "cli" && ((string?)e["message"])!.Contains("401", StringComparison.Ordinal));
        Assert.True((bool?)Assert.Single(events, e => Type(e) == "result")["isError"]);
        Assert.DoesNotContain(events, e => Type(e) == "text");
        Assert.Equal("cli_error", (string?)events[^1]["reason"]);
        Assert.Equal("credential_rejected", (string?)events[^1]["failure"]?["kind"]);
        Assert.Equal(401, (int?)events[^1]["failure"]?["status"]);
        AssertNowhere(key, result, events);
    }

    [Fact]
    public async Task A_google_login_gets_a_cli_of_its_own_which_fails_as_without_start_ahead()
    {
        // As GeminiRealCliTests: the login's token is verified at oauth2.googleapis.com, which the proxy cannot reach
        // here. A CLI started ahead would then ask for an interactive sign-in; a Google login is not handed to it (yet).
        string token = AgentHarness.Secret("ya29.canary");
        string credentialFile = GoogleLoginCredential.File(token);

        var (result, events) = await RunAsync("credential_file", credentialFile, "gemini-2.5-flash", trustAtStart: true);

        Assert.Empty(_stub.Requests);
        await _proxy.WaitForAccessLogAsync(line => line.Contains("method=CONNECT url=oauth2.googleapis.com:443", StringComparison.Ordinal) && line.Contains($"user={ProxyUser} ", StringComparison.Ordinal));
        Assert.False((bool?)AgentHarness.TakeTimings(events)["cliStartedAhead"]);
        Assert.Equal("cli_error", (string?)events[^1]["reason"]);
        Assert.Equal(41, (int?)events[^1]["exitCode"]);
        AssertNowhere(token, result, events);
    }

    [Fact]
    public async Task A_job_whose_ca_the_cli_started_ahead_does_not_trust_gets_a_cli_of_its_own_and_the_started_one_is_gone()
    {
        string key = AgentHarness.Secret("AIza-canary");
        int[] startedAhead = [];

        // No POLYDEV_AGENT_START_AHEAD_CA: the stub's CA, which the job brings, is not one the started CLI trusts.
        var (result, events) = await RunAsync("api_key", key, "gemini-2.5-flash", trustAtStart: false, beforeJob: sandbox => startedAhead = [.. ProcessesIn(sandbox.Home)]);

        Assert.NotEmpty(startedAhead);
        Assert.All(startedAhead, pid => Assert.False(Directory.Exists($"/proc/{pid}") && Read($"/proc/{pid}/cmdline").Contains("--acp", StringComparison.Ordinal)));
        Assert.False((bool?)AgentHarness.TakeTimings(events)["cliStartedAhead"]);
        Assert.All(_stub.ReceivedCredentials, credential => Assert.Equal(key, credential));
        Assert.Equal(_stub.Answer, string.Concat(events.Where(e => Type(e) == "text").Select(e => (string?)e["text"])));
        Assert.Equal("ok", (string?)events[^1]["reason"]);
        AssertNowhere(key, result, events);
    }

    private async Task<(AgentResult Result, List<JsonObject> Events)> RunAsync(
        string credentialType, string credential, string? model, bool trustAtStart, Func<AgentHarness, Task>? whileRunning = null, Action<AgentHarness>? beforeJob = null)
    {
        using var sandbox = new AgentHarness();
        // The image's CLI: "gemini" on PATH (an override's executable is never started ahead), on the pinned Node.
        sandbox.Environment["PATH"] = $"{Path.GetDirectoryName(PinnedClis.Executable("google"))}:{PinnedClis.NodeDirectory}:{Environment.GetEnvironmentVariable("PATH")}";
        if (trustAtStart)
        {
            sandbox.Environment["POLYDEV_AGENT_START_AHEAD_CA"] = _stub.AuthorityPem;
        }

        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        string proxyUrl = $"http://{ProxyUser}:{_proxyToken}@127.0.0.1:{_proxy.Port}";
        JsonObject job = AgentHarness.Job("google", credentialType, credential, "Say hi", outputKey, proxyUrl, timeLimitSeconds: 50, model: model, caBundle: _stub.AuthorityPem);
        job["baseUrl"] = _stub.BaseUrl.GetLeftPart(UriPartial.Authority);

        // Before the job: the CLI has started and, in time, finished its initialize (a job that comes earlier waits for it).
        AgentResult result = await sandbox.RunAsync(job, serveArgs: ["--start-ahead", "google"], jobAfter: TimeSpan.FromSeconds(3), beforeJob: () => beforeJob?.Invoke(sandbox),
            whileRunning: whileRunning is null ? null : _ => whileRunning(sandbox));
        Assert.True(result.ExitCode == 0, result.Stderr);
        return (result, await AgentHarness.DecryptAsync(result.Stdout, outputKey));
    }

    /// <summary>The API traffic went through the proxy as the job's user, and nothing else did.</summary>
    private async Task AssertOnlyTheStubWentThroughTheProxyAsync()
    {
        await _proxy.WaitForAccessLogAsync(line => line.Contains($"method=CONNECT url=localhost:{_stub.Port} ", StringComparison.Ordinal) && line.Contains($"user={ProxyUser} ", StringComparison.Ordinal));
        string[] requests = [.. _proxy.AccessLog.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => !line.Contains(" method=- ", StringComparison.Ordinal))];
        Assert.All(requests, line => Assert.Contains($"method=CONNECT url=localhost:{_stub.Port} ", line, StringComparison.Ordinal));
    }

    /// <summary>The processes other than the agent whose working directory is <paramref name="directory"/> (the sandbox's home).</summary>
    private static List<int> ProcessesIn(string directory) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out int pid) ? pid : 0)
            .Where(pid => pid > 0 && WorkingDirectory(pid) == directory && !Read($"/proc/{pid}/cmdline").Contains("polydev-agent", StringComparison.Ordinal))];

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

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path).Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string? Type(JsonObject e) => (string?)e["type"];

    private static void AssertNowhere(string secret, AgentResult result, List<JsonObject> events)
    {
        Assert.DoesNotContain(secret, result.Stderr, StringComparison.Ordinal);
        Assert.All(events, e => Assert.DoesNotContain(secret, e.ToJsonString(), StringComparison.Ordinal));
    }
}
