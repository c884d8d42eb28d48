using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Polydev.Agent.Protocol;
using Polydev.Crypto;

namespace Polydev.Agent.Tests;

public sealed class AgentRunTests
{
    private const string Proxy = "http://exec:tok-5e3a@10.89.0.1:10001";

    /// <summary>What the CLI is given instead of <see cref="Proxy"/>: the agent's relay, same user and token, a loopback port.</summary>
    private const string ProxyThroughTap = "http://exec:tok-5e3a@127.0.0.1";

    [Theory]
    [InlineData("anthropic", "api_key", null, false)]
    [InlineData("anthropic", "credential_file", "claude-opus-4-1", true)]
    [InlineData("openai", "api_key", "gpt-5-codex", false)]
    [InlineData("openai", "credential_file", null, true)]
    [InlineData("google", "api_key", null, true)]
    [InlineData("google", "credential_file", "gemini-2.5-pro", false)]
    public async Task A_sealed_job_runs_the_cli_with_its_credential_and_proxy_and_streams_the_mapped_events(
        string providerName, string credentialType, string? model, bool withCa)
    {
        FakeClis.Provider provider = FakeClis.Get(providerName);
        using var sandbox = new AgentHarness();
        string credential = credentialType == "api_key"
            ? AgentHarness.Secret("sk-canary")
            : "{\"token\":\"" + AgentHarness.Secret("oauth-canary") + "\"}";
        string prompt = "Say hi " + AgentHarness.Secret("prompt-canary");
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        string ca = "-----BEGIN CERTIFICATE-----\nTUlJQ0FOQVJZ\n-----END CERTIFICATE-----\n";
        string expectedArgs = provider.Arguments + (model is null ? "" : " --model " + model) + (providerName == "openai" ? " -" : "");

        var checks = new StringBuilder();
        checks.AppendLine($"[ \"$*\" = '{expectedArgs}' ] || fail \"argv: $*\"");
        checks.AppendLine($"[ \"$prompt\" = '{prompt}' ] || fail 'prompt on stdin'");
        // The proxy is the agent's timing relay on loopback (issue 19), carrying the job's user and token unchanged.
        checks.AppendLine($"case \"${{HTTPS_PROXY:-}}\" in '{ProxyThroughTap}':[0-9]*) ;; *) fail \"HTTPS_PROXY: $HTTPS_PROXY\" ;; esac");
        checks.AppendLine("[ \"${HTTP_PROXY:-}\" = \"${HTTPS_PROXY:-}\" ] || fail 'HTTP_PROXY'");
        checks.AppendLine($"[ \"$HOME\" = '{sandbox.Home}' ] || fail HOME");
        // Issue 13, finding 1: an API key is never in the CLI's environment (every process it starts would inherit it).
        foreach (string variable in FakeClis.AllKeyVariables)
        {
            checks.AppendLine($"[ -z \"${{{variable}:-}}\" ] || fail '{variable} set'");
        }

        checks.AppendLine($"env | grep -qF '{credential}' && fail 'credential in environment'");
        if (credentialType == "api_key")
        {
            checks.AppendLine($"grep -qF '{credential}' \"$HOME/{provider.KeyFile}\" || fail 'key file content'");
            checks.AppendLine($"[ \"$(stat -c %a \"$HOME/{provider.KeyFile}\")\" = 600 ] || fail 'key file mode'");
        }

        if (credentialType == "credential_file")
        {
            checks.AppendLine($"[ \"$(cat \"$HOME/{provider.CredentialFile}\")\" = '{credential}' ] || fail 'credential file content'");
            checks.AppendLine($"[ \"$(stat -c %a \"$HOME/{provider.CredentialFile}\")\" = 600 ] || fail 'credential file mode'");
        }
        else if (provider.CredentialFile != provider.KeyFile)
        {
            checks.AppendLine($"[ ! -e \"$HOME/{provider.CredentialFile}\" ] || fail 'credential file written for an API key'");
        }

        if (withCa)
        {
            checks.AppendLine($"[ \"$(cat \"$NODE_EXTRA_CA_CERTS\")\" = \"$(printf '%s' '{ca.TrimEnd()}')\" ] || fail NODE_EXTRA_CA_CERTS");
            checks.AppendLine("grep -q TUlJQ0FOQVJZ \"$SSL_CERT_FILE\" || fail SSL_CERT_FILE");
        }
        else
        {
            checks.AppendLine("[ -z \"${NODE_EXTRA_CA_CERTS:-}\" ] && [ -z \"${SSL_CERT_FILE:-}\" ] || fail 'CA set without a bundle'");
        }

        // Nothing of the agent's environment, the prompt or the output key reaches the child's environment.
        checks.AppendLine("env | grep -q '^POLYDEV_' && fail 'agent environment leaked'");
        checks.AppendLine("env | grep -q '^AGENT_ONLY=' && fail 'agent environment leaked'");
        checks.AppendLine($"env | grep -qF 'prompt-canary' && fail 'prompt in environment'");
        checks.AppendLine($"env | grep -qF '{Convert.ToBase64String(outputKey)}' && fail 'output key in environment'");
        string script = "fail() { echo \"ASSERT: $*\" >&2; exit 97; }\nprompt=\"$(cat)\"\n" + checks
            + "cat <<'JSONL'\n" + provider.Stream + "\nJSONL\necho 'a warning on stderr' >&2\nexit 0\n";
        sandbox.Environment[provider.Override] = sandbox.WriteScript("fake-" + providerName, script);
        sandbox.Environment["AGENT_ONLY"] = "1";
        JsonObject job = AgentHarness.Job(providerName, credentialType, credential, prompt, outputKey, Proxy, model: model, caBundle: withCa ? ca : null);
        AgentResult result = await sandbox.RunAsync(job);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Empty(result.Stderr);
        Assert.Equal(AgentExitReason.Ok, result.Reason);
        List<JsonObject> events = await AgentHarness.DecryptAsync(result.Stdout, outputKey);
        var expected = provider.Events.Select(e => JsonNode.Parse(e)!).ToList();
        // The CLI's stderr arrives as an error event just before exit, encrypted like everything else.
        expected.Insert(expected.Count - 1, JsonNode.Parse("""{"type":"error","source":"stderr","message":"a warning on stderr"}""")!);
        // The exit event carries the job's timings (issue 19): the phases it reached, in order; this CLI made no connection.
        JsonObject timings = AgentHarness.TakeTimings(events);
        Assert.Equal(expected.Select(e => e.ToJsonString()), events.Select(e => e.ToJsonString()));
        long[] reached = [.. new[] { "credentialPlacedMs", "cliSpawnedMs", "firstTextMs", "endMs" }.Select(name => timings[name]!.GetValue<long>())];
        Assert.True(reached.Zip(reached.Skip(1)).All(p => p.First <= p.Second), timings.ToJsonString());
        Assert.Null(timings["egressFirstByteMs"]);
        // The exit frame carries the same phases in cleartext, for the server's metrics (and nothing else of the job).
        Assert.Equal(
            new AgentPhases(false, (int?)timings["credentialPlacedMs"], (int?)timings["cliSpawnedMs"], null, null, (int?)timings["firstTextMs"], (int?)timings["endMs"]),
            result.Phases);
    }

    [Fact]
    public async Task The_time_limit_kills_a_hanging_cli_and_its_children_and_reports_timeout()
    {
        using var sandbox = new AgentHarness();
        string pidFile = Path.Combine(sandbox.Home, "grandchild.pid");
        sandbox.Environment["POLYDEV_AGENT_CLAUDE"] = sandbox.WriteScript("hang", $$$"""
            cat > /dev/null
            sleep 300 &
            echo $! > '{{{pidFile}}}'
            echo '{"type":"assistant","message":{"content":[{"type":"text","text":"thinking..."}]}}'
            sleep 300
            """);
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        var clock = Stopwatch.StartNew();
        AgentResult result = await sandbox.RunAsync(
            AgentHarness.Job("anthropic", "api_key", "sk-x", "hang", outputKey, timeLimitSeconds: 1));
        clock.Stop();

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 15);
        List<JsonObject> events = await AgentHarness.DecryptAsync(result.Stdout, outputKey);
        Assert.Equal("thinking...", events[0]["text"]!.GetValue<string>());
        Assert.Equal("timeout", events[^1]["reason"]!.GetValue<string>());
        Assert.Equal("time_limit", events[^1]["failure"]!["kind"]!.GetValue<string>());
        int grandchild = int.Parse(File.ReadAllText(pidFile).Trim());
        await WaitUntilAsync(() => !Directory.Exists($"/proc/{grandchild}") || File.ReadAllText($"/proc/{grandchild}/stat").Contains(") Z "));
    }

    [Fact]
    public async Task Sigterm_to_the_agent_kills_the_cli_and_still_ends_the_stream_with_reason_killed()
    {
        using var sandbox = new AgentHarness();
        string started = Path.Combine(sandbox.Home, "started");
        sandbox.Environment["POLYDEV_AGENT_CLAUDE"] = sandbox.WriteScript("hang", $"cat > /dev/null\ntouch '{started}'\nsleep 300\n");
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        AgentResult result = await sandbox.RunAsync(
            AgentHarness.Job("anthropic", "api_key", "sk-x", "hang", outputKey, timeLimitSeconds: 60),
            async agent =>
            {
                await WaitUntilAsync(() => File.Exists(started));
                Assert.Equal(0, Kill(agent.Id, 15));
            });

        Assert.True(result.ExitCode == 0, result.Stderr);
        List<JsonObject> events = await AgentHarness.DecryptAsync(result.Stdout, outputKey);
        Assert.Equal("killed", events[^1]["reason"]!.GetValue<string>());
        Assert.Equal("cli_crashed", events[^1]["failure"]!["kind"]!.GetValue<string>());
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    [Fact]
    public async Task The_output_limit_stops_a_flooding_cli_and_reports_output_limit()
    {
        using var sandbox = new AgentHarness();
        sandbox.Environment["POLYDEV_AGENT_GEMINI"] = sandbox.WriteScript("flood", """
            cat > /dev/null
            while true; do echo '{"type":"message","role":"assistant","content":"0123456789012345678901234567890123456789","delta":true}'; done
            """);
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        AgentResult result = await sandbox.RunAsync(
            AgentHarness.Job("google", "api_key", "AIza-x", "flood", outputKey, maxOutputBytes: 10_000, timeLimitSeconds: 30));

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var reader = new OutputStreamReader(new MemoryStream(result.Stdout), outputKey);
        IReadOnlyList<OutputChunk> chunks = await reader.ReadAllAsync();
        Assert.InRange(chunks.Take(chunks.Count - 1).Sum(c => c.Plaintext.Length), 9_000, 10_000);
        JsonObject exit = JsonNode.Parse(chunks[^1].Plaintext)!.AsObject();
        Assert.Equal("output_limit", exit["reason"]!.GetValue<string>());
        Assert.Equal("output_limit", exit["failure"]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_job_sealed_to_another_key_is_refused_with_no_output_and_exit_reason_job_refused()
    {
        using var sandbox = new AgentHarness();
        using UserKeyPair other = UserKeyPair.Generate();
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        JsonObject job = AgentHarness.Job("anthropic", "api_key", "sk-x", "hi", outputKey);

        AgentResult wrong = await sandbox.RunAsync(job, sealTo: other.PublicKey);
        Assert.Equal(AgentExitReason.JobRefused, wrong.Reason);
        Assert.Equal(4, wrong.ExitCode);
        Assert.Empty(wrong.Stdout);
        Assert.Contains("could not be opened", wrong.Stderr);
    }

    [Fact]
    public async Task Secrets_never_reach_the_agents_stderr_or_any_argv_and_the_clis_stderr_is_only_in_the_encrypted_stream()
    {
        using var sandbox = new AgentHarness();
        string apiKey = AgentHarness.Secret("sk-canary");
        string prompt = "prompt " + AgentHarness.Secret("prompt-canary");
        string started = Path.Combine(sandbox.Home, "started");
        sandbox.Environment["POLYDEV_AGENT_CODEX"] = sandbox.WriteScript("leaky", $$$"""
            cat > /dev/null
            touch '{{{started}}}'
            sleep 1
            echo "fatal: bad key $(sed 's/.*"OPENAI_API_KEY":"\([^"]*\)".*/\1/' "$HOME/.codex/auth.json")" >&2
            echo '{"type":"turn.failed","error":{"message":"401 Unauthorized"}}'
            exit 1
            """);
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        var commandLines = new List<string>();
        AgentResult result = await sandbox.RunAsync(
            AgentHarness.Job("openai", "api_key", apiKey, prompt, outputKey),
            async agent =>
            {
                await WaitUntilAsync(() => File.Exists(started));
                foreach (int pid in ProcessTree(agent.Id))
                {
                    commandLines.Add(File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '));
                }
            });

        Assert.True(commandLines.Count >= 2, "the agent and its CLI were running");
        Assert.Contains(commandLines, c => c.Contains("leaky exec --json"));
        string[] secrets = [apiKey, prompt, Convert.ToBase64String(outputKey), Convert.ToHexStringLower(outputKey)];
        foreach (string secret in secrets)
        {
            Assert.DoesNotContain(commandLines, c => c.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(secret, result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, Encoding.UTF8.GetString(result.Raw), StringComparison.Ordinal);
        }

        Assert.Empty(result.Stderr);
        List<JsonObject> events = await AgentHarness.DecryptAsync(result.Stdout, outputKey);
        Assert.Equal(
            [
                """{"type":"error","source":"cli","message":"401 Unauthorized"}""",
                """{"type":"result","isError":true}""",
                "{\"type\":\"error\",\"source\":\"stderr\",\"message\":\"fatal: bad key " + apiKey + "\"}",
            ],
            events.SkipLast(1).Select(e => e.ToJsonString()));
        // The 401 ends the job at once (issue 14): the agent may kill the CLI before it exits by itself.
        JsonObject exit = events[^1];
        Assert.Equal("cli_error", (string?)exit["reason"]);
        Assert.Equal("""{"kind":"credential_rejected","status":401,"detail":"401 Unauthorized"}""", exit["failure"]?.ToJsonString());
    }

    [Fact]
    public async Task A_tampered_agent_stream_is_detected_dropped_reordered_duplicated_or_truncated()
    {
        using var sandbox = new AgentHarness();
        sandbox.Environment["POLYDEV_AGENT_CLAUDE"] = sandbox.WriteScript("claude", "cat > /dev/null\ncat <<'JSONL'\n" + FakeClis.ClaudeStream + "\nJSONL\n");
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        AgentResult result = await sandbox.RunAsync(AgentHarness.Job("anthropic", "api_key", "sk-x", "hi", outputKey));
        Assert.True(result.ExitCode == 0, result.Stderr);

        var frames = new List<byte[]>();
        var wire = new MemoryStream(result.Stdout);
        while (await OutputStream.ReadFrameAsync(wire) is { } frame)
        {
            frames.Add(frame.Bytes);
        }

        Assert.Equal(8, frames.Count); // accepted, the CLI's six events, exit
        Assert.Equal(OutputStreamFailure.OutOfOrder, await FailureAsync([frames[0], .. frames[2..]]));
        Assert.Equal(OutputStreamFailure.OutOfOrder, await FailureAsync([frames[1], frames[0], .. frames[2..]]));
        Assert.Equal(OutputStreamFailure.OutOfOrder, await FailureAsync([frames[0], frames[1], frames[1], .. frames[2..]]));
        Assert.Equal(OutputStreamFailure.Truncated, await FailureAsync(frames[..^1]));
        Assert.Equal(OutputStreamFailure.AfterFinal, await FailureAsync([.. frames, frames[3]]));

        async Task<OutputStreamFailure> FailureAsync(List<byte[]> tampered)
        {
            using var reader = new OutputStreamReader(new MemoryStream(tampered.SelectMany(f => OutputStream.Frame(f)).ToArray()), outputKey);
            return (await Assert.ThrowsAsync<OutputStreamException>(() => reader.ReadAllAsync())).Failure;
        }
    }

    internal static IEnumerable<int> ProcessTree(int root)
    {
        var pending = new Queue<int>([root]);
        while (pending.TryDequeue(out int pid))
        {
            yield return pid;
            foreach (string task in Directory.Exists($"/proc/{pid}/task") ? Directory.GetDirectories($"/proc/{pid}/task") : [])
            {
                string children = File.Exists(Path.Combine(task, "children")) ? File.ReadAllText(Path.Combine(task, "children")) : "";
                foreach (string child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    pending.Enqueue(int.Parse(child));
                }
            }
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "timed out waiting");
            await Task.Delay(25);
        }
    }
}
