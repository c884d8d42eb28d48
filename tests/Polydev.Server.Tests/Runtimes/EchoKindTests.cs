using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Polydev.Contracts;
using Polydev.Contracts.Executions;
using Polydev.Server.Runtimes;
using Polydev.Server.Sandboxes;
using Polydev.Server.Tests.Executions;
using Polydev.Server.Tests.Sandboxes;
using Polydev.Testing;

namespace Polydev.Server.Tests.Runtimes;

/// <summary>
/// A runtime kind the server has never heard of — <c>echo</c>, serving a provider named <c>echo</c>, on a derived image,
/// with no network at all — registered from the test alone with one <see cref="RuntimeKindServices.AddRuntimeKind"/>
/// call, runs end to end: its own pool warms it, the executions API validates and leases it, the real agent takes the
/// sealed job over today's channel and its output comes back encrypted. No executions or pools code knows it.
/// </summary>
[Collection(SandboxRunCollection.Name)]
public sealed class EchoKindTests
{
    private const string Kind = "echo";
    private const string Provider = "echo";

    [Fact]
    public async Task A_kind_registered_by_the_test_alone_warms_leases_and_runs_a_job_end_to_end()
    {
        await EchoImage.BuildAsync();
        await using var harness = await ExecutionHarness.StartAsync(
            new Dictionary<string, string?>
            {
                ["Sandboxes:Runtimes:claude:Enabled"] = "false",
                // The kind's settings come from the same section as the built-in kinds'.
                [$"Sandboxes:Runtimes:{Kind}:MaxSandboxes"] = "2",
            },
            configureServices: services => services.AddRuntimeKind(new RuntimeKind(Kind, EchoImage.Reference)
            {
                Provider = Provider,
                WarmTarget = 1,
                Egress = RuntimeEgress.None,
                Environment = new Dictionary<string, string> { ["POLYDEV_AGENT_CLAUDE"] = EchoImage.Executable },
            }));

        var pool = harness.Pools.Pool(Kind);
        Assert.NotNull(pool);
        Assert.Equal(2, pool.MaxSandboxes);
        Assert.Null(harness.Pools.Pool(ExecutionHarness.Kind));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (pool.ReadyCount < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The echo pool did not warm.\n{harness.Server.Logs.Text}");
            await Task.Delay(100);
        }

        // The warm sandbox is the kind's: its label, its image, and no network (the kind's egress is none).
        var container = Assert.Single(await ContainersAsync(harness.ServerId));
        using (var inspected = JsonDocument.Parse(await DockerAsync("inspect", container)))
        {
            var root = inspected.RootElement[0];
            Assert.Equal(Kind, root.GetProperty("Config").GetProperty("Labels").GetProperty(SandboxLabels.Runtime).GetString());
            Assert.Equal(EchoImage.Reference, root.GetProperty("Config").GetProperty("Image").GetString());
            Assert.Equal("none", root.GetProperty("HostConfig").GetProperty("NetworkMode").GetString());
        }

        // A provider no kind serves is refused, and names the ones served.
        var unknown = await harness.Client.PostAsJsonAsync(ApiRoutes.Executions, new CreateExecutionRequest("nobody"), PolydevJson.Options);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains(Provider, await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var created = await harness.CreateAsync(Provider);
        Assert.True(created.Warm);
        Assert.Equal(Provider, created.Provider);
        var prompt = "hello-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var outputKey = RandomNumberGenerator.GetBytes(32);

        // The agent runs its Claude adapter; the kind's environment points it at the echo CLI.
        var job = harness.Job(created, ExecutionHarness.Secret("unused"), prompt, outputKey);
        Assert.Equal(HttpStatusCode.OK, (await harness.StartAsync(created, job)).StatusCode);
        var events = ExecutionHarness.Open(await harness.ReadFramesAsync(created.Id), outputKey);
        Assert.Equal("accepted", (string?)events[0]["type"]);
        Assert.Equal($"echo: {prompt}", string.Concat(events.Where(e => (string?)e["type"] == "text").Select(e => (string?)e["text"])));
        Assert.Equal("ok", (string?)events[^1]["reason"]);

        var execution = await harness.WaitForEndAsync(created.Id);
        Assert.Equal(ExecutionStates.Succeeded, execution.State);
        Assert.Equal(ExecutionReasons.Completed, execution.Reason);

        var metrics = await harness.Server.Client.GetStringAsync("/metrics");
        Assert.Contains($"polydev_sandbox_allocation_seconds_count{{runtime=\"{Kind}\",path=\"warm\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains($"polydev_executions_total{{provider=\"{Provider}\",state=\"succeeded\",reason=\"completed\"}} 1", metrics, StringComparison.Ordinal);
    }

    private static async Task<string[]> ContainersAsync(string serverId) =>
        (await DockerAsync("ps", "-q", "--no-trunc", "--filter", $"label={SandboxLabels.Owner}={serverId}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static Task<string> DockerAsync(params string[] arguments) => ExecutionTests.RunAsync("docker", arguments);
}
