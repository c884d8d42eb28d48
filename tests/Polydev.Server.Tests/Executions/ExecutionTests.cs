using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Contracts.Executions;
using Polydev.Server.Tests.Infrastructure;
using Polydev.Server.Tests.Sandboxes;
using Polydev.Testing;

namespace Polydev.Server.Tests.Executions;

/// <summary>
/// Executions end to end on the real Docker engine with the real Claude Code image: warm allocation, the blind
/// relay of the encrypted output (live and resumed), the proxy path to the provider, what the server and the
/// engine get to see, and each way an execution ends.
/// </summary>
[Collection(SandboxRunCollection.Name)]
public sealed class ExecutionTests
{
    [Fact]
    public async Task A_warm_sandbox_runs_the_real_CLI_through_the_egress_port_and_the_server_sees_only_ciphertext()
    {
        await using var harness = await ExecutionHarness.StartAsync();
        await harness.WaitForWarmAsync();
        var apiKey = ExecutionHarness.Secret("sk-ant-canary");
        var prompt = ExecutionHarness.Secret("prompt-canary") + " say hello";
        harness.Stub.Answer = ExecutionHarness.Secret("answer-canary");

        var created = await harness.CreateAsync();
        Assert.True(created.Warm);
        Assert.Equal(65, Convert.FromBase64String(created.SandboxPublicKey).Length);
        Assert.StartsWith("http://polydev:pd_p_", created.ProxyUrl, StringComparison.Ordinal);
        Assert.Contains("@10.214.0.1:", created.ProxyUrl, StringComparison.Ordinal);

        // Issue 13, finding 2: the execution's token works only from its sandbox. Copied out to the host, it is refused.
        Assert.Equal(407, await ProxyStatusFromHostAsync(created.ProxyUrl));

        var outputKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var start = await harness.StartAsync(created, harness.Job(created, apiKey, prompt, outputKey));
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);

        var frames = await harness.ReadFramesAsync(created.Id);
        var events = ExecutionHarness.Open(frames, outputKey);
        Assert.Equal("accepted", (string?)events[0]["type"]);
        Assert.Equal(harness.Stub.Answer, string.Concat(events.Where(e => (string?)e["type"] == "text").Select(e => (string?)e["text"])));
        Assert.Equal("exit", (string?)events[^1]["type"]);
        Assert.Equal("ok", (string?)events[^1]["reason"]);

        var execution = await harness.WaitForEndAsync(created.Id);
        Assert.Equal(ExecutionStates.Succeeded, execution.State);
        Assert.Equal(ExecutionReasons.Completed, execution.Reason);
        Assert.Equal(frames.Count, execution.Chunks);
        Assert.True(execution.Warm);
        Assert.Equal(0, execution.ExitCode);

        // …and once the execution has ended, the token is revoked: it is refused everywhere.
        await using (var connection = await harness.Server.Database.OpenAsync())
        {
            var token = await Dapper.SqlMapper.QuerySingleAsync(connection,
                "SELECT t.revoked_at, t.bound_address FROM egress_tokens t JOIN job_executions e ON e.egress_token_id = t.id WHERE e.id = @id",
                new { id = created.Id.ToString("D") });
            Assert.NotNull((object?)token.revoked_at);
            Assert.StartsWith("10.214.0.", (string)token.bound_address, StringComparison.Ordinal);
        }

        Assert.Equal(407, await ProxyStatusFromHostAsync(created.ProxyUrl));

        // The provider got the user's own credential, through the user's port (the only way out of the sandbox).
        Assert.NotEmpty(harness.Stub.ReceivedCredentials);
        Assert.All(harness.Stub.ReceivedCredentials, c => Assert.Equal(apiKey, c));

        // Resume: from chunk 2 on, the same frames again, from the database now.
        var resumed = await harness.ReadFramesAsync(created.Id, from: 2);
        Assert.Equal(frames.Skip(2).Select(Convert.ToBase64String), resumed.Select(Convert.ToBase64String));

        // Zero knowledge: no canary in any table, the logs, or any container the engine knows.
        string[] canaries = [apiKey, prompt, harness.Stub.Answer];
        var dump = await DumpDatabaseAsync(harness.Server);
        var logs = harness.Server.Logs.Text;
        var inspected = await InspectAllContainersAsync();
        foreach (var canary in canaries)
        {
            Assert.DoesNotContain(canary, dump, StringComparison.Ordinal);
            Assert.DoesNotContain(canary, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(canary, inspected, StringComparison.Ordinal);
        }

        // The used sandbox is gone and the pool refills.
        await harness.WaitForWarmAsync();

        // The used sandbox is destroyed after the execution is recorded as ended: its cleanup may trail the refill.
        var metrics = await harness.Server.Client.GetStringAsync("/metrics");
        for (var i = 0; i < 100 && !metrics.Contains("reason=\"used\"", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            metrics = await harness.Server.Client.GetStringAsync("/metrics");
        }

        Assert.Contains("polydev_sandbox_allocation_seconds_count{runtime=\"claude\",path=\"warm\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("polydev_executions_total{provider=\"anthropic\",state=\"succeeded\",reason=\"completed\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("polydev_sandbox_cleanups_total{runtime=\"claude\",reason=\"used\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("polydev_sandboxes{runtime=\"claude\",state=\"ready\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("polydev_execution_duration_seconds_count{provider=\"anthropic\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("polydev_agent_channel_ends_total{provider=\"anthropic\",end=\"ok\"}", metrics, StringComparison.Ordinal);
        // Issue 19: the agent's phases from its exit frame; Claude Code was started while the sandbox waited.
        var phases = string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("polydev_execution_sandbox_phase_seconds_count", StringComparison.Ordinal)));
        Assert.Contains("polydev_execution_sandbox_phase_seconds_count{provider=\"anthropic\",phase=\"first_text\",cli_start=\"ahead\"}", phases, StringComparison.Ordinal);
        Assert.Contains("polydev_execution_sandbox_phase_seconds_count{provider=\"anthropic\",phase=\"egress_first_byte\",cli_start=\"ahead\"}", phases, StringComparison.Ordinal);
        Assert.Empty(await JobContainersAsync(harness.ServerId));
        foreach (var canary in canaries)
        {
            Assert.DoesNotContain(canary, metrics, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_sandbox_killed_from_outside_fails_its_execution_with_sandbox_lost_and_the_pool_refills()
    {
        await using var harness = await ExecutionHarness.StartAsync();
        var created = await StartWaitingJobAsync(harness);

        var container = Assert.Single(await JobContainersAsync(harness.ServerId));
        await RunAsync("docker", "kill", container);

        var execution = await harness.WaitForEndAsync(created.Id, TimeSpan.FromSeconds(30));
        Assert.Equal(ExecutionStates.Failed, execution.State);
        Assert.Equal(ExecutionReasons.SandboxLost, execution.Reason);
        await harness.WaitForWarmAsync();
    }

    [Fact]
    public async Task A_CLI_that_exceeds_the_sandboxs_memory_is_killed_and_the_execution_fails_as_out_of_memory()
    {
        await FaultImage.BuildAsync();
        await using var harness = await ExecutionHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Sandboxes:Runtimes:claude:Image"] = FaultImage.Reference,
            ["Sandboxes:Runtimes:claude:Environment:POLYDEV_AGENT_CLAUDE"] = FaultImage.Executable,
        });
        await harness.WaitForWarmAsync();
        var created = await harness.CreateAsync();
        var outputKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        Assert.Equal(HttpStatusCode.OK, (await harness.StartAsync(created, harness.Job(created, ExecutionHarness.Secret("sk"), "hog the memory", outputKey))).StatusCode);

        var events = ExecutionHarness.Open(await harness.ReadFramesAsync(created.Id), outputKey);
        Assert.Equal("killed", (string?)events[^1]["reason"]);
        var execution = await harness.WaitForEndAsync(created.Id, TimeSpan.FromSeconds(60));
        Assert.Equal(ExecutionStates.Failed, execution.State);
        Assert.Equal(ExecutionReasons.OutOfMemory, execution.Reason);
        Assert.Contains("out_of_memory", harness.Server.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_stops_a_running_execution_and_destroys_its_sandbox()
    {
        await using var harness = await ExecutionHarness.StartAsync();
        var created = await StartWaitingJobAsync(harness);
        const string cancelledEnds = "polydev_agent_channel_ends_total{provider=\"anthropic\",end=\"cancelled\"}";
        var endsBefore = CounterValue(await harness.Server.Client.GetStringAsync("/metrics"), cancelledEnds);

        var cancel = await harness.Client.PostAsync(ApiRoutes.ExecutionCancel(created.Id), null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var execution = (await cancel.ReadAsync<ExecutionResponse>())!;
        Assert.Equal(ExecutionStates.Cancelled, execution.State);
        Assert.Equal(ExecutionReasons.Cancelled, execution.Reason);
        // The agent was told to cancel over its channel and said so in its exit frame (not lost).
        Assert.Equal(endsBefore + 1, CounterValue(await harness.Server.Client.GetStringAsync("/metrics"), cancelledEnds));
        Assert.True(execution.Chunks >= 1, "the accepted chunk arrived before the cancel");

        var again = await harness.Client.PostAsync(ApiRoutes.ExecutionCancel(created.Id), null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await JobContainersAsync(harness.ServerId));
    }

    [Fact]
    public async Task Deleting_the_account_ends_its_running_execution_and_destroys_the_sandbox_before_the_rows_go()
    {
        await using var harness = await ExecutionHarness.StartAsync();
        var created = await StartWaitingJobAsync(harness);
        Assert.NotEmpty(await JobContainersAsync(harness.ServerId));

        var delete = await harness.Client.PostJsonAsync(ApiRoutes.AccountDelete, new DeleteAccountRequest(harness.Account.AuthKey));
        Assert.True(delete.IsSuccessStatusCode, $"delete answered {(int)delete.StatusCode}: {await delete.Content.ReadAsStringAsync()}");

        Assert.Empty(await JobContainersAsync(harness.ServerId));
        await using var connection = await harness.Server.Database.OpenAsync(CancellationToken.None);
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM job_executions WHERE id = @id", new { id = created.Id.ToString("D") }));
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM job_execution_chunks WHERE execution_id = @id", new { id = created.Id.ToString("D") }));
    }

    [Fact]
    public async Task The_servers_run_time_limit_ends_an_execution_with_timeout()
    {
        await using var harness = await ExecutionHarness.StartAsync(new Dictionary<string, string?> { ["Executions:MaxRunTime"] = "00:00:04" });
        harness.Stub.ResponseDelay = TimeSpan.FromMinutes(2);
        await harness.WaitForWarmAsync();
        var created = await harness.CreateAsync();
        Assert.Equal(4, created.Limits.MaxRunSeconds);
        var outputKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        Assert.Equal(HttpStatusCode.OK, (await harness.StartAsync(created, harness.Job(created, ExecutionHarness.Secret("sk"), "wait", outputKey))).StatusCode);

        var execution = await harness.WaitForEndAsync(created.Id, TimeSpan.FromSeconds(30));
        Assert.Equal(ExecutionStates.Failed, execution.State);
        Assert.Equal(ExecutionReasons.Timeout, execution.Reason);
    }

    [Fact]
    public async Task Limits_and_bad_requests_get_problem_responses_and_change_nothing()
    {
        await using var harness = await ExecutionHarness.StartAsync(new Dictionary<string, string?> { ["Executions:MaxConcurrentPerUser"] = "1" });
        await harness.WaitForWarmAsync();

        await AssertProblemAsync(await harness.Client.PostAsJsonAsync(ApiRoutes.Executions, new CreateExecutionRequest("cohere"), PolydevJson.Options), HttpStatusCode.BadRequest, "provider");
        await AssertProblemAsync(await harness.Client.PostAsJsonAsync(ApiRoutes.Executions, new CreateExecutionRequest(Providers.OpenAI), PolydevJson.Options), HttpStatusCode.ServiceUnavailable, "openai");

        var created = await harness.CreateAsync();
        await AssertProblemAsync(await harness.Client.PostAsJsonAsync(ApiRoutes.Executions, new CreateExecutionRequest(Providers.Anthropic), PolydevJson.Options), HttpStatusCode.TooManyRequests, "at once");

        await AssertProblemAsync(await harness.Client.PostAsJsonAsync(ApiRoutes.ExecutionStart(created.Id), new StartExecutionRequest("not base64!"), PolydevJson.Options), HttpStatusCode.BadRequest, "base64");
        await AssertProblemAsync(await harness.Client.PostAsJsonAsync(ApiRoutes.ExecutionStart(created.Id), new StartExecutionRequest(Convert.ToBase64String(new byte[8])), PolydevJson.Options), HttpStatusCode.BadRequest, "sealed box");
        await AssertProblemAsync(await harness.Client.PostAsJsonAsync(ApiRoutes.ExecutionStart(Guid.NewGuid()), new StartExecutionRequest(Convert.ToBase64String(new byte[200])), PolydevJson.Options), HttpStatusCode.NotFound, "No execution");
        await AssertProblemAsync(await harness.Client.GetAsync(ApiRoutes.ExecutionStream(Guid.NewGuid())), HttpStatusCode.NotFound, "No execution");
        Assert.Equal(ExecutionStates.Allocated, (await harness.GetAsync(created.Id)).State);

        // Another user sees nothing of it.
        var other = await TestAccount.SignUpAsync(harness.Server);
        using var otherClient = harness.Server.CreateClient(other.Token);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.GetAsync(ApiRoutes.Execution(created.Id))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.PostAsync(ApiRoutes.ExecutionCancel(created.Id), null)).StatusCode);

        // A job the agent cannot open (sealed to another key) fails as job_refused, and the sandbox is not reused.
        var wrongKey = Polydev.Crypto.UserKeyPair.Generate();
        var misdirected = created with { SandboxPublicKey = Convert.ToBase64String(wrongKey.PublicKey) };
        Assert.Equal(HttpStatusCode.OK, (await harness.StartAsync(misdirected, harness.Job(created, "sk", "hi", new byte[32]))).StatusCode);
        await AssertProblemAsync(await harness.StartAsync(created, harness.Job(created, "sk", "hi", new byte[32])), HttpStatusCode.Conflict, "only an allocated execution can be started");
        var refused = await harness.WaitForEndAsync(created.Id, TimeSpan.FromSeconds(30));
        Assert.Equal(ExecutionStates.Failed, refused.State);
        Assert.Equal(ExecutionReasons.JobRefused, refused.Reason);

        var list = await harness.Client.GetFromJsonAsync<Page<ExecutionResponse>>(ApiRoutes.Executions + "?limit=1", PolydevJson.Options);
        Assert.Equal(created.Id, Assert.Single(list!.Items).Id);
    }

    /// <summary>Starts a job whose CLI then waits on the stub (which holds its answer) and returns once it called.</summary>
    private static async Task<ExecutionCreatedResponse> StartWaitingJobAsync(ExecutionHarness harness)
    {
        harness.Stub.ResponseDelay = TimeSpan.FromMinutes(2);
        await harness.WaitForWarmAsync();
        var created = await harness.CreateAsync();
        var outputKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        Assert.Equal(HttpStatusCode.OK, (await harness.StartAsync(created, harness.Job(created, ExecutionHarness.Secret("sk"), "wait", outputKey))).StatusCode);
        await WaitForRequestAsync(harness);
        return created;
    }

    /// <summary>A counter's value in Prometheus text (0 when the series does not exist yet); the registry is the process's.</summary>
    private static double CounterValue(string metrics, string series) =>
        metrics.Split('\n').Where(line => line.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(line => double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .SingleOrDefault();

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detailContains, body, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Waits until the CLI in the sandbox has called the stub (the job is running, waiting on the provider).</summary>
    private static async Task WaitForRequestAsync(ExecutionHarness harness)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!harness.Stub.Requests.Any(r => r.PathAndQuery.StartsWith("/v1/messages", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The CLI never called the stub.\n{harness.Server.Logs.Text}");
            await Task.Delay(100);
        }
    }

    internal static async Task<string> DumpDatabaseAsync(RunningServer server)
    {
        await using var connection = await server.Database.OpenAsync();
        var tables = await connection.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table'");
        var dump = new StringBuilder();
        foreach (var table in tables)
        {
            foreach (IDictionary<string, object?> row in await connection.QueryAsync($"SELECT * FROM \"{table}\""))
            {
                foreach (var value in row.Values)
                {
                    dump.Append(value is byte[] bytes ? Encoding.UTF8.GetString(bytes) + Convert.ToBase64String(bytes) : value?.ToString()).Append('\n');
                }
            }
        }

        return dump.ToString();
    }

    internal static async Task<string> InspectAllContainersAsync()
    {
        // One by one: containers of other tests may vanish between the listing and the inspection.
        using var docker = new Polydev.Server.Sandboxes.Docker.DockerClient();
        var all = new StringBuilder();
        foreach (var id in (await RunAsync("docker", "ps", "-aq")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                all.Append((await docker.InspectContainerAsync(id)).GetRawText()).Append('\n');
            }
            catch (Polydev.Server.Sandboxes.SandboxEngineException e) when (e.IsNotFound)
            {
            }
        }

        return all.ToString();
    }

    /// <summary>
    /// This server's sandboxes that run a job, as opposed to those waiting in the pool (<see cref="SandboxJobSockets"/>:
    /// a connection off the sandbox's loopback; with the CLI started ahead, issue 19, the process list no longer tells
    /// them apart).
    /// </summary>
    private static async Task<List<string>> JobContainersAsync(string serverId)
    {
        var output = await RunAsync("docker", "ps", "-q", "--filter", $"label=dev.polydev.owner={serverId}");
        var running = new List<string>();
        foreach (var id in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pid = int.Parse((await RunAsync("docker", "inspect", "--format", "{{.State.Pid}}", id)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            if (await SandboxJobSockets.RunsAJobAsync(pid))
            {
                running.Add(id);
            }
        }

        return running;
    }

    internal static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var result = await ChildProcess.RunAsync(file, arguments);
        Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', arguments)}: {result.Errors}");
        return result.Output;
    }

    /// <summary>The status the egress proxy answers a CONNECT with <paramref name="proxyUrl"/>'s token, sent from the host.</summary>
    private static async Task<int> ProxyStatusFromHostAsync(string proxyUrl)
    {
        var url = new Uri(proxyUrl);
        var token = Uri.UnescapeDataString(url.UserInfo.Split(':', 2)[1]);
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(url.Host, url.Port);
        var stream = client.GetStream();
        var basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("polydev:" + token));
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nProxy-Authorization: Basic {basic}\r\n\r\n"));
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer);
        return int.Parse(System.Text.Encoding.ASCII.GetString(buffer, 0, read).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
