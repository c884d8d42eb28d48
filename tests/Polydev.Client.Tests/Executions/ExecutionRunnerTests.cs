using Polydev.Client.Executions;
using Polydev.Client.Vault;
using Polydev.Contracts.Executions;
using Polydev.Contracts.Jobs;
using static Polydev.Client.Tests.Executions.FakeExecutionServer;

namespace Polydev.Client.Tests.Executions;

public sealed class ExecutionRunnerTests
{
    private static readonly string[] Answer =
    [
        """{"type":"accepted","provider":"anthropic"}""",
        """{"type":"start","model":"claude-sonnet-4-5","session":"s-1"}""",
        """{"type":"text","text":"Hello"}""",
        """{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}""",
        """{"type":"thinking","text":"a type this client does not know"}""",
        """{"type":"text","text":" world"}""",
        """{"type":"result","text":"Hello world","isError":false,"usage":{"inputTokens":42,"outputTokens":7}}""",
        """{"type":"exit","exitCode":0,"reason":"ok"}""",
    ];

    [Fact]
    public async Task Seals_the_job_to_the_sandbox_decrypts_every_event_in_order_and_stores_the_exchange()
    {
        using var server = new FakeExecutionServer { Events = Answer, MaxRunSeconds = 300 };
        using var api = server.Api();
        var runner = new ExecutionRunner(api, server.Cipher);
        var chatId = Guid.NewGuid();

        var (_, credential) = await runner.FindCredentialAsync("anthropic", null, CancellationToken.None);
        var received = new List<ReceivedEvent>();
        var outcome = await runner.RunAsync(
            new RunRequest("anthropic", "Say hello", credential) { Model = "claude-sonnet-4-5", TimeLimitSeconds = 600, ChatId = chatId },
            received.Add,
            CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, Answer.Length).Select(i => (long)i), received.Select(e => e.Sequence));
        Assert.Equal(Answer, received.Select(e => System.Text.Encoding.UTF8.GetString(e.Json.Span)));
        Assert.IsType<AcceptedEvent>(received[0].Event);
        Assert.Equal("claude-sonnet-4-5", Assert.IsType<StartEvent>(received[1].Event).Model);
        Assert.Equal("Bash", Assert.IsType<ToolUseEvent>(received[3].Event).Name);
        Assert.Equal(typeof(AgentEvent), received[4].Event.GetType());
        Assert.Equal(0, Assert.IsType<ExitEvent>(received[^1].Event).ExitCode);

        Assert.True(outcome.Succeeded);
        Assert.Null(outcome.Failure);
        Assert.Equal("Hello world", outcome.Transcript.Answer);
        Assert.Equal(42, outcome.Transcript.Usage?.InputTokens);
        Assert.Equal(chatId, outcome.StoredInChat);

        // The job as the sandbox opened it: the server's limit caps the time; the credential's endpoint is used.
        var job = server.OpenedJob!;
        Assert.Equal((1, "anthropic", "Say hello", "sk-canary", CredentialSecret.ApiKey), (job.Version, job.Provider, job.Prompt, job.Credential.Value, job.Credential.Type));
        Assert.Equal(("claude-sonnet-4-5", 300, 0L), (job.Options.Model, job.Options.TimeLimitSeconds, job.Options.MaxOutputBytes));
        Assert.Equal(("http://exec:TOKEN@10.89.0.1:10001", "https://gateway.example/v1", (string?)null), (job.ProxyUrl, job.BaseUrl, job.CaBundle));
        Assert.Equal(32, job.OutputKey.Length);

        // The prompt, then the answer, each sealed under the user key and bound to the chat (not legacy).
        Assert.Equal(
            [(ChatMessageBody.User, "Say hello", false), (ChatMessageBody.Assistant, "Hello world", false)],
            server.Messages.Select(m => ChatMessageBody.Open(server.Cipher, chatId, m.Id, m.Body)).Select(o => (o.Body.Role, o.Body.Text, o.Legacy)));
    }

    [Fact]
    public async Task A_dropped_stream_resumes_from_the_next_sequence_without_duplicates()
    {
        using var server = new FakeExecutionServer { Events = Answer };
        server.Connections.Enqueue(new Connection(3, ConnectionEnd.Drop));
        server.Connections.Enqueue(new Connection(2, ConnectionEnd.Drop));
        using var api = server.Api();
        var runner = new ExecutionRunner(api, server.Cipher);

        var received = new List<ReceivedEvent>();
        var outcome = await runner.RunAsync(new RunRequest("anthropic", "Say hello", server.Credential), received.Add, CancellationToken.None);

        Assert.Equal(Answer, received.Select(e => System.Text.Encoding.UTF8.GetString(e.Json.Span)));
        Assert.Equal(Enumerable.Range(0, Answer.Length).Select(i => (long)i), received.Select(e => e.Sequence));
        var streamed = server.Requests.Where(r => r.Contains("/stream?", StringComparison.Ordinal)).Select(r => r.Split("from=")[1]);
        Assert.Equal(["0", "3", "5"], streamed);
        Assert.True(outcome.Succeeded);
        Assert.Equal("Hello world", outcome.Transcript.Answer);
    }

    [Fact]
    public async Task An_execution_that_ends_without_a_final_chunk_reports_the_servers_reason()
    {
        using var server = new FakeExecutionServer
        {
            Events = Answer[..3],
            EndsWithFinalChunk = false,
            State = ExecutionStates.Failed,
            Reason = ExecutionReasons.ServerRestart,
        };
        using var api = server.Api();
        var runner = new ExecutionRunner(api, server.Cipher);

        var received = new List<ReceivedEvent>();
        var chatId = Guid.NewGuid();
        var outcome = await runner.RunAsync(new RunRequest("anthropic", "Say hello", server.Credential) { ChatId = chatId }, received.Add, CancellationToken.None);

        Assert.Equal(3, received.Count);
        Assert.False(outcome.Succeeded);
        Assert.Null(outcome.Transcript.ExitReason);
        Assert.Equal(FailureKinds.SandboxLost, outcome.Failure?.Kind);
        Assert.Equal("The Polydev server restarted while Claude Code ran. Try again.", outcome.FailureSentence);

        // Issue 14: stored as a failure with its sentence, never as an answer; what arrived before is kept as its text.
        Assert.Equal(chatId, outcome.StoredInChat);
        var stored = server.Messages.Select(m => ChatMessageBody.Open(server.Cipher, chatId, m.Id, m.Body).Body).ToList();
        Assert.Equal(2, stored.Count);
        Assert.Equal((ChatMessageBody.Assistant, outcome.Transcript.Answer), (stored[1].Role, stored[1].Text));
        Assert.Equal(new ChatFailure(FailureKinds.SandboxLost, null, outcome.FailureSentence!), stored[1].Failure);
    }

    [Fact]
    public async Task Each_phase_of_a_run_is_reported_once_in_order_with_its_time()
    {
        using var server = new FakeExecutionServer { Events = Answer };
        using var api = server.Api();
        var runner = new ExecutionRunner(api, server.Cipher);
        var phases = new List<RunPhase>();

        var outcome = await runner.RunAsync(new RunRequest("anthropic", "Say hello", server.Credential), _ => { }, CancellationToken.None, (phase, _) => phases.Add(phase));

        Assert.Equal(
            [RunPhases.Allocated, RunPhases.Delivered, RunPhases.Accepted, RunPhases.CliStarted, RunPhases.FirstOutput, RunPhases.Done],
            phases.Select(p => p.Name));
        Assert.True(phases.Zip(phases.Skip(1)).All(pair => pair.First.ElapsedMs <= pair.Second.ElapsedMs));
        Assert.Equal(phases, outcome.Phases!.Reached);
        Assert.Equal("warm sandbox", phases[0].Words(outcome.Phases.Warm));
    }

    [Fact]
    public async Task A_classified_failure_is_one_sentence_that_names_the_credential_and_what_to_do()
    {
        using var server = new FakeExecutionServer
        {
            Events =
            [
                """{"type":"accepted","provider":"anthropic"}""",
                """{"type":"retry","status":401,"attempt":1,"maxRetries":3,"message":"authentication_failed"}""",
                """{"type":"exit","exitCode":137,"reason":"cli_error","failure":{"kind":"credential_rejected","status":401,"detail":"authentication_failed"}}""",
            ],
        };
        using var api = server.Api();
        var runner = new ExecutionRunner(api, server.Cipher);

        var outcome = await runner.RunAsync(new RunRequest("anthropic", "Say hello", server.Credential), _ => { }, CancellationToken.None);

        Assert.Equal("Anthropic rejected the API key stored as 'work' (401). Replace it with `polydev credentials add anthropic`.", outcome.FailureSentence);
        Assert.Equal("authentication_failed", outcome.Failure?.Detail);
    }

    [Fact]
    public async Task A_failed_cli_from_an_agent_that_does_not_classify_is_reported_by_its_exit_and_last_error()
    {
        using var server = new FakeExecutionServer
        {
            Events =
            [
                """{"type":"accepted","provider":"anthropic"}""",
                """{"type":"error","source":"cli","message":"Failed to authenticate.\nAPI Error: 401"}""",
                """{"type":"exit","exitCode":1,"reason":"cli_error"}""",
            ],
        };
        using var api = server.Api();
        var runner = new ExecutionRunner(api, server.Cipher);

        var outcome = await runner.RunAsync(new RunRequest("anthropic", "Say hello", server.Credential), _ => { }, CancellationToken.None);

        // An agent too old to classify: what its exit says, in words, and the CLI's last error behind --verbose.
        Assert.Equal("Claude Code stopped without finishing (exit code 1). Run again with --verbose to see what it printed.", outcome.FailureSentence);
        Assert.Equal("Failed to authenticate.\nAPI Error: 401", outcome.Failure?.Detail);
    }

    [Fact]
    public async Task Cancelling_the_run_cancels_the_execution()
    {
        using var server = new FakeExecutionServer { Events = Answer };
        server.Connections.Enqueue(new Connection(1, ConnectionEnd.Hang));
        using var api = server.Api();
        var runner = new ExecutionRunner(api, server.Cipher);
        using var cancellation = new CancellationTokenSource();

        var received = new List<ReceivedEvent>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync(
            new RunRequest("anthropic", "Say hello", server.Credential),
            e =>
            {
                received.Add(e);
                cancellation.Cancel();
            },
            cancellation.Token));

        Assert.Single(received);
        Assert.Contains($"POST /api/executions/{server.ExecutionId:D}/cancel", server.Requests);
    }

    [Fact]
    public async Task Cancelling_while_the_sandbox_is_leased_returns_at_once_and_cancels_the_lease_once_it_arrives()
    {
        var lease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = new FakeExecutionServer { Events = Answer, LeaseHeld = lease };
        using var api = server.Api();
        var runner = new ExecutionRunner(api, server.Cipher);
        using var cancellation = new CancellationTokenSource();

        var run = runner.RunAsync(new RunRequest("anthropic", "Say hello", server.Credential), _ => { }, cancellation.Token);
        await WaitUntilAsync(() => server.Requests.Contains("POST /api/executions"));
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.DoesNotContain($"POST /api/executions/{server.ExecutionId:D}/cancel", server.Requests);

        // The server leases the sandbox after all: the runner cancels that execution, so the sandbox is freed now.
        lease.SetResult();
        await WaitUntilAsync(() => server.Requests.Contains($"POST /api/executions/{server.ExecutionId:D}/cancel"));
        Assert.DoesNotContain($"POST /api/executions/{server.ExecutionId:D}/start", server.Requests);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    [Fact]
    public async Task The_request_endpoint_replaces_the_one_stored_with_the_credential()
    {
        using var server = new FakeExecutionServer { Events = Answer };
        using var api = server.Api();
        var runner = new ExecutionRunner(api, server.Cipher);

        await runner.RunAsync(new RunRequest("anthropic", "Say hello", server.Credential with { CaBundle = "stored CA" }) { BaseUrl = "https://other.example" }, _ => { }, CancellationToken.None);

        Assert.Equal(("https://other.example", (string?)null, 900), (server.OpenedJob!.BaseUrl, server.OpenedJob.CaBundle, server.OpenedJob.Options.TimeLimitSeconds));
    }

    [Fact]
    public void A_request_never_prints_its_prompt_or_credential()
    {
        var request = new RunRequest("anthropic", "the secret plan", new CredentialSecret("work", CredentialSecret.ApiKey, "sk-canary")) { Model = "m" };

        Assert.DoesNotContain("secret plan", request.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sk-canary", request.ToString(), StringComparison.Ordinal);
        Assert.Contains("anthropic", request.ToString(), StringComparison.Ordinal);
    }
}
