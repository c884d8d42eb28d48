using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Polydev.Contracts.Executions;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Nomad;
using Polydev.Server.Tests.Executions;
using Polydev.Testing;

namespace Polydev.Server.Tests.Sandboxes.Nomad;

/// <summary>
/// The server with <c>Sandboxes:Engine = nomad</c> on the stand-in cluster, the real Claude Code image and the real
/// egress gateway: a warm sandbox runs the CLI through the gateway to the provider stub; a node lost under a running
/// execution fails it with <c>node_lost</c>, the pool refills on the surviving node and nothing of the lost sandbox
/// is left; a restarted server removes the jobs the previous one left.
/// </summary>
[Collection(NomadClusterCollection.Name)]
public sealed class NomadExecutionTests
{
    [Fact]
    public async Task A_warm_sandbox_on_the_cluster_runs_the_CLI_through_the_gateway_and_a_lost_node_fails_its_execution_with_node_lost()
    {
        var first = FreePorts.FindBlock(20);
        await using var cluster = await NomadTestCluster.StartAsync((first, first + 19));
        await using var harness = await ExecutionHarness.StartAsync(cluster.ServerSettings());
        await harness.WaitForWarmAsync();

        // A run, end to end: the proxy URL names the gateway, the token is bound to the sandbox's address there.
        var created = await harness.CreateAsync();
        Assert.True(created.Warm);
        Assert.Contains($"@{cluster.EgressAddress}:", created.ProxyUrl, StringComparison.Ordinal);
        var outputKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var apiKey = ExecutionHarness.Secret("sk-ant-canary");
        Assert.Equal(HttpStatusCode.OK, (await harness.StartAsync(created, harness.Job(created, apiKey, "say hello", outputKey))).StatusCode);
        var events = ExecutionHarness.Open(await harness.ReadFramesAsync(created.Id), outputKey);
        Assert.Equal(harness.Stub.Answer, string.Concat(events.Where(e => (string?)e["type"] == "text").Select(e => (string?)e["text"])));
        var done = await harness.WaitForEndAsync(created.Id);
        Assert.Equal((ExecutionStates.Succeeded, ExecutionReasons.Completed), (done.State, done.Reason));
        Assert.All(harness.Stub.ReceivedCredentials, c => Assert.Equal(apiKey, c));
        await using (var connection = await harness.Server.Database.OpenAsync())
        {
            var bound = await Dapper.SqlMapper.QuerySingleAsync<string>(connection,
                "SELECT t.bound_address FROM egress_tokens t JOIN job_executions e ON e.egress_token_id = t.id WHERE e.id = @id", new { id = created.Id.ToString("D") });
            Assert.True(cluster.SandboxNetwork.Options.Subnet.StartsWith(string.Join('.', bound.Split('.')[..3]) + ".", StringComparison.Ordinal), bound);
        }

        // The next warm sandbox: which job and node it is.
        await harness.WaitForWarmAsync();
        var (jobId, node) = await RunningSandboxAsync(cluster, harness);

        // An execution waiting on the provider when its node goes down.
        harness.Stub.ResponseDelay = TimeSpan.FromSeconds(60);
        var asked = harness.Stub.ReceivedCredentials.Count;
        var held = await harness.CreateAsync();
        Assert.Equal(HttpStatusCode.OK, (await harness.StartAsync(held, harness.Job(held, apiKey, "wait", outputKey))).StatusCode);
        await WaitUntilAsync(() => Task.FromResult(harness.Stub.ReceivedCredentials.Count > asked), "the held execution never reached the provider");
        await cluster.StandIn.LoseNodeAsync(node);

        var lost = await harness.WaitForEndAsync(held.Id, TimeSpan.FromSeconds(60));
        Assert.Equal((ExecutionStates.Failed, ExecutionReasons.NodeLost), (lost.State, lost.Reason));

        // The pool notices its ready sandboxes on that node are gone and refills on the surviving one; nothing of the
        // lost sandbox stays on the cluster.
        harness.Stub.ResponseDelay = TimeSpan.Zero;
        // What the last look saw, for the failure: the pool's count and the cluster's jobs with the server's log.
        var seen = "";
        await WaitUntilAsync(async () =>
        {
            var ready = harness.Pools.Pool(ExecutionHarness.Kind)!.ReadyCount;
            try
            {
                var running = await RunningSandboxAsync(cluster, harness);
                seen = $"ready {ready}, running sandbox {running.JobId} on {running.Node} (lost node {node})";
                return ready >= 1 && running.Node != node;
            }
            catch (Xunit.Sdk.XunitException e)
            {
                seen = $"ready {ready}; {e.Message}";
                return false;
            }
        }, () => $"the pool did not refill on the surviving node: {seen}");
        await WaitUntilAsync(async () => (await cluster.StandIn.TracesAsync(jobId)).Count == 0, $"the lost sandbox {jobId} left traces");
    }

    [Fact]
    public async Task A_restarted_server_removes_the_jobs_the_previous_one_left()
    {
        var first = FreePorts.FindBlock(20);
        await using var cluster = await NomadTestCluster.StartAsync((first, first + 19));
        var serverId = "nomad-restart-" + Guid.NewGuid().ToString("N")[..8];

        // What a server that crashed leaves: its sandbox jobs, owned by its id, still on the cluster.
        var options = cluster.Options;
        var engine = new NomadSandboxEngine(new NomadClient(options), options, new SandboxEngineMetrics(new Prometheus.CollectorRegistry()),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<NomadSandboxEngine>.Instance);
        var left = await engine.CreateAsync(new SandboxSpec(Polydev.Testing.SandboxTestImage.Reference, "claude", "v0", serverId) { Command = ["/bin/busybox", "sleep", "600"] });
        var foreign = await engine.CreateAsync(new SandboxSpec(Polydev.Testing.SandboxTestImage.Reference, "claude", "v0", "another-server") { Command = ["/bin/busybox", "sleep", "600"] });
        Assert.NotEmpty(await cluster.StandIn.TracesAsync(left.Name));

        await using var restarted = await ExecutionHarness.StartAsync(cluster.ServerSettings(), serverId);
        Assert.Empty(await cluster.StandIn.TracesAsync(left.Name));
        Assert.NotEmpty(await cluster.StandIn.TracesAsync(foreign.Name));
        await restarted.WaitForWarmAsync();
        var (fresh, _) = await RunningSandboxAsync(cluster, restarted, except: foreign.Name);
        Assert.NotEqual(left.Name, fresh);
        await engine.DestroyAsync(foreign);
    }

    /// <summary>The one running sandbox job of this cluster's prefix and the node its allocation is on.</summary>
    private static async Task<(string JobId, string Node)> RunningSandboxAsync(NomadTestCluster cluster, ExecutionHarness harness, string? except = null)
    {
        using var nomad = new HttpClient { BaseAddress = cluster.StandIn.Address };
        nomad.DefaultRequestHeaders.Add("X-Nomad-Token", NomadTestCluster.Token);
        var jobs = await nomad.GetFromJsonAsync<JsonElement>($"v1/jobs?prefix={cluster.JobPrefix}");
        foreach (var job in jobs.EnumerateArray().Where(j => j.GetProperty("Status").GetString() == "running" && j.GetProperty("ID").GetString() != except))
        {
            var id = job.GetProperty("ID").GetString()!;
            // The sandbox is the job's first allocation; a replacement Nomad placed for a lost one is nobody's.
            var allocations = await nomad.GetFromJsonAsync<JsonElement>($"v1/job/{id}/allocations");
            var sandbox = allocations.EnumerateArray().MinBy(a => a.GetProperty("CreateIndex").GetInt64());
            if (sandbox.ValueKind == JsonValueKind.Object && sandbox.GetProperty("ClientStatus").GetString() == "running")
            {
                return (id, sandbox.GetProperty("NodeName").GetString()!);
            }
        }

        throw new Xunit.Sdk.XunitException($"no running sandbox job with prefix {cluster.JobPrefix}: {jobs}\n{harness.Server.Logs.Text[^Math.Min(6000, harness.Server.Logs.Text.Length)..]}");
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string failure) => WaitUntilAsync(condition, () => failure);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail(failure());
            }

            await Task.Delay(200);
        }
    }
}
