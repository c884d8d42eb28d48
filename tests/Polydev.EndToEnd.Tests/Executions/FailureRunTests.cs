using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.Testing.ProviderStubs;

namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>
/// Issue 14, "Honest failures", as a user meets them: <c>polydev run</c> with real Claude Code in a warm sandbox, its
/// traffic through the real per-user egress, against a stub that refuses the key, rate-limits, is down, and a
/// destination the egress refuses. Each ends in one sentence that says what to do, within seconds where the CLI
/// would otherwise retry; the chat keeps it as a failure, never as an answer.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class FailureRunTests
{
    [Fact]
    public async Task Each_failure_is_one_sentence_that_says_what_to_do_and_is_kept_as_a_failure()
    {
        await using var provider = await ProviderUnderTest.StartAsync("anthropic");
        var stub = (AnthropicStub)provider.Stub;
        var serverId = SandboxedServer.NewServerId();
        await using var server = await SandboxedServer.StartAsync("anthropic", serverId, ServerProcess.FreePort());
        using var cli = new Cli(server.Url);
        await cli.SignupAsync($"failures-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));
        (await cli.RunAsync(["credentials", "add", "anthropic", "--label", "work", "--base-url", provider.BaseUrl, "--ca-file", provider.Stub.AuthorityPemPath], stdin: Needles.Canary("key"))).Succeeded();
        (await cli.RunAsync("chats", "new", "failures")).Succeeded();

        // polydev status: the warm sandbox the next run takes (issue 14, "The terminal").
        await SandboxedServer.WaitForReadyAsync(server, "anthropic", TimeSpan.FromSeconds(60));
        var status = (await cli.RunAsync("status", "--json")).Succeeded().Json();
        var runtime = status.GetProperty("runtimes").EnumerateArray().Single(r => r.GetProperty("provider").GetString() == "anthropic");
        Assert.True(runtime.GetProperty("enabled").GetBoolean());
        Assert.Equal(1, runtime.GetProperty("ready").GetInt32());
        Assert.Contains("Claude Code (anthropic): 1 warm sandbox ready", (await cli.RunAsync("status")).Succeeded().Stdout, StringComparison.Ordinal);

        stub.FailWithStatus = 401;
        var rejected = await RunAsync(server, cli, "--chat", "failures", "--verbose");
        Assert.Equal("polydev run: Anthropic rejected the API key stored as 'work' (401). Replace it with `polydev credentials add anthropic`.", rejected.Sentence);
        Assert.Contains("[details] credential_rejected:", rejected.Result.Stderr, StringComparison.Ordinal);
        Assert.Contains("[retry] Anthropic answered 401; Claude Code tries again", rejected.Result.Stderr, StringComparison.Ordinal);
        Assert.True(rejected.Elapsed < TimeSpan.FromSeconds(15), $"took {rejected.Elapsed.TotalSeconds:F1} s");

        stub.FailWithStatus = 429;
        var limited = await RunAsync(server, cli);
        Assert.StartsWith("polydev run: Anthropic is limiting requests for the API key stored as 'work' (429).", limited.Sentence, StringComparison.Ordinal);
        Assert.DoesNotContain("[details]", limited.Result.Stderr, StringComparison.Ordinal); // details only with --verbose

        var refused = await RunAsync(server, cli, "--base-url", "https://169.254.169.254", "--ca-file", provider.Stub.AuthorityPemPath);
        Assert.Equal("polydev run: The server's egress proxy would not connect the sandbox to Anthropic (403). Ask the server's operator to check Polydev's egress.", refused.Sentence);
        Assert.True(refused.Elapsed < TimeSpan.FromSeconds(20), $"took {refused.Elapsed.TotalSeconds:F1} s");

        // The time limit, and the CLI killed inside its sandbox while it waits for the provider.
        stub.FailWithStatus = null;
        stub.ResponseDelay = TimeSpan.FromSeconds(60);
        var timedOut = await RunAsync(server, cli, "--timeout", "3");
        Assert.Equal("polydev run: Claude Code did not finish within 3 seconds and was stopped. Give it longer with --timeout.", timedOut.Sentence);

        // The kill's deadline counts from the run's start, not from the refill after the timed-out run (slower on CI).
        await SandboxedServer.WaitForReadyAsync(server, "anthropic", TimeSpan.FromSeconds(60));
        var killing = RunAsync(server, cli);
        await KillTheCliAsync(server, serverId, killing);
        var killed = await killing;
        Assert.Matches(@"^polydev run: Claude Code stopped without finishing \(exit code \d+\)\. Run again with --verbose to see what it printed\.$", killed.Sentence);
        stub.ResponseDelay = TimeSpan.Zero;

        await provider.Stub.DisposeAsync();
        var down = await RunAsync(server, cli);
        Assert.StartsWith("polydev run: Anthropic could not be reached from the sandbox.", down.Sentence, StringComparison.Ordinal);
        Assert.True(down.Elapsed < TimeSpan.FromSeconds(20), $"took {down.Elapsed.TotalSeconds:F1} s");

        // The chat keeps the failure with its sentence, not an empty answer.
        var chat = (await cli.RunAsync("chats", "show", "failures")).Succeeded().Stdout;
        Assert.Contains("[assistant, anthropic, failed]", chat, StringComparison.Ordinal);
        Assert.Contains("Anthropic rejected the API key stored as 'work' (401).", chat, StringComparison.Ordinal);
    }

    private sealed record FailedRun(CliResult Result, string Sentence, TimeSpan Elapsed);

    /// <summary>SIGKILLs the CLI in the sandbox that runs a job, as the kernel's OOM killer would (the image has no pkill).</summary>
    private static async Task KillTheCliAsync(ServerProcess server, string serverId, Task<FailedRun> run)
    {
        const string KillClaude = """
            found=""
            for d in /proc/[0-9]*; do
              p="${d#/proc/}"; [ "$p" = "$$" ] && continue
              argv0="$(tr '\000' '\n' < "$d/cmdline" 2>/dev/null | { IFS= read -r a; printf %s "$a"; })"
              case "$argv0" in claude|*/claude|*claude.exe) kill -9 "$p" && found=1 ;; esac
            done
            [ -n "$found" ]
            """;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            foreach (var id in await Docker.JobContainersAsync(serverId))
            {
                var (exitCode, _, _) = await Docker.TryRunAsync("exec", id, "sh", "-c", KillClaude);
                if (exitCode == 0)
                {
                    return;
                }
            }

            if (run.IsCompleted)
            {
                var ended = await run;
                Assert.Fail($"the run ended before its CLI could be killed: {ended.Sentence}\n{ended.Result.Stderr}\n{server.Logs}");
            }

            Assert.True(DateTime.UtcNow < deadline, $"no sandbox ran the CLI to kill within 30 s of the run's start\n{server.Logs}");
            await Task.Delay(200);
        }
    }

    /// <summary>A run that must fail with exit code 1; its last stderr line is the sentence.</summary>
    private static async Task<FailedRun> RunAsync(ServerProcess server, Cli cli, params string[] more)
    {
        await SandboxedServer.WaitForReadyAsync(server, "anthropic", TimeSpan.FromSeconds(60));
        var started = DateTime.UtcNow;
        var result = await cli.RunAsync(["run", "--provider", "anthropic", .. more, "Say hello."]);
        var elapsed = DateTime.UtcNow - started;
        Assert.True(result.ExitCode == 1, $"exit code {result.ExitCode}\n{result.Stderr}\n{server.Logs}");
        var sentence = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        return new FailedRun(result, sentence, elapsed);
    }
}
