using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Nomad;
using Polydev.Testing;
using Polydev.Testing.Nomad;
using Prometheus;

namespace Polydev.Server.Tests.Sandboxes.Nomad;

/// <summary>
/// What only the Nomad engine has, on the stand-in cluster: placement failures named with their dimension, ACL
/// refusals, blocking queries rather than polling, a lost node reported as such, a drained node's sandbox gone.
/// </summary>
[Collection(NomadClusterCollection.Name)]
public sealed class NomadEngineTests : IAsyncLifetime
{
    private NomadTestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await NomadTestCluster.StartAsync((27001, 27050), new NomadStandInOptions
    {
        ManagementToken = NomadTestCluster.Token,
        Tokens = [NomadStandInToken.ReadOnly("read-only-token")],
        NodeMeta = new Dictionary<string, string> { ["polydev_egress"] = "ready" },
    });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private SandboxTestHarness Harness(NomadEngineOptions? options = null)
    {
        options ??= _cluster.Options;
        return new SandboxTestHarness((metrics, loggers) => new NomadSandboxEngine(new NomadClient(options), options, metrics, loggers.CreateLogger<NomadSandboxEngine>()), SandboxTestImage.Reference);
    }

    [Fact]
    public async Task A_sandbox_no_node_can_hold_fails_at_once_naming_the_dimension_and_leaves_no_job()
    {
        await using var sandboxes = Harness();
        var spec = sandboxes.Spec() with { Limits = SandboxLimits.Default with { MemoryBytes = 64L << 30 } };
        var e = await Assert.ThrowsAsync<SandboxEngineException>(() => sandboxes.CreateAsync(spec));
        Assert.Equal(503, e.Status);
        Assert.Contains("no capacity", e.Detail, StringComparison.Ordinal);
        Assert.Contains("memory", e.Detail, StringComparison.Ordinal);
        Assert.Empty(await _cluster.StandIn.TracesAsync(NomadJobSpec.JobId(_cluster.Options, spec.Id)));

        // Networked, with no node marked by a gateway: the constraint, and what to do about it.
        var unmarked = _cluster.Options;
        unmarked.Egress.ReadyMeta = "no_gateway_here";
        await using var elsewhere = Harness(unmarked);
        var filtered = await Assert.ThrowsAsync<SandboxEngineException>(() => elsewhere.CreateAsync(elsewhere.Spec() with { Network = new SandboxNetwork(_cluster.Options.Driver.Network) }));
        Assert.Contains("egress gateway", filtered.Detail, StringComparison.Ordinal);

        var metrics = await TextAsync(sandboxes.Registry);
        Assert.Contains("polydev_sandbox_engine_placement_failures_total{engine=\"nomad\",dimension=\"memory\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("polydev_sandbox_engine_operations_total{engine=\"nomad\",operation=\"create\",outcome=\"error\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_without_submit_job_is_refused_with_what_to_do_and_counted_as_denied()
    {
        var options = _cluster.Options;
        options.Token = "read-only-token";
        await using var reader = Harness(options);
        var e = await Assert.ThrowsAsync<SandboxEngineException>(() => reader.CreateAsync());
        Assert.Equal(403, e.Status);
        Assert.Contains("Sandboxes:Nomad:Token lacks a capability", e.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("read-only-token", e.Message + reader.Logs.Text, StringComparison.Ordinal);
        Assert.Contains("polydev_sandbox_engine_operations_total{engine=\"nomad\",operation=\"create\",outcome=\"denied\"} 1", await TextAsync(reader.Registry), StringComparison.Ordinal);

        // It may still list (a read).
        Assert.Empty(await reader.Engine.ListOwnedAsync(reader.OwnerId));
    }

    [Fact]
    public async Task Create_waits_on_blocking_queries_instead_of_polling()
    {
        await using var sandboxes = Harness();
        var before = _cluster.StandIn.Events.Count;
        var sandbox = await sandboxes.CreateAsync(sandboxes.Spec() with { Network = new SandboxNetwork(_cluster.Options.Driver.Network) });
        Assert.NotNull(sandbox.Address);
        var requests = _cluster.StandIn.Events.Skip(before).ToList();

        // A handful of requests, each waiting on Nomad's index where it follows a change.
        Assert.True(requests.Count <= 12, string.Join('\n', requests.Select(r => $"{r.Method} {r.Path}?{r.Query}")));
        Assert.Contains(requests, r => r.Path.EndsWith("/allocations", StringComparison.Ordinal) && r.Query.Contains("index=", StringComparison.Ordinal) && r.Query.Contains("wait=", StringComparison.Ordinal));
        Assert.All(requests, r => Assert.True(r.HasToken));
    }

    [Fact]
    public async Task A_lost_node_and_a_drained_node_take_their_sandboxes_with_them()
    {
        await using var sandboxes = Harness();
        var sandbox = await sandboxes.CreateAsync();
        var node = NodeOf(sandbox);
        await _cluster.StandIn.LoseNodeAsync(node);
        var lost = await sandboxes.InspectUntilAsync(sandbox, s => s?.NodeLost == true);
        Assert.Equal(SandboxEngineState.Dead, lost!.State);

        // The next one lands on the node that is left, and the lost one is removed without a trace.
        var next = await sandboxes.CreateAsync();
        Assert.NotEqual(node, NodeOf(next));
        await sandboxes.Engine.DestroyAsync(sandbox);
        Assert.Empty(await _cluster.StandIn.TracesAsync(sandbox.Name));

        // Draining the other node ends its sandbox: Nomad stops the allocation (a replacement would be a stranger's).
        await _cluster.StandIn.RestoreNodeAsync(node);
        using var nomad = new HttpClient { BaseAddress = _cluster.StandIn.Address };
        nomad.DefaultRequestHeaders.Add("X-Nomad-Token", NomadTestCluster.Token);
        var drained = _cluster.StandIn.Nodes.Single(n => n.Name == NodeOf(next));
        var drain = await nomad.PostAsync($"v1/node/{drained.ID}/drain", new StringContent("""{"DrainSpec":{"Deadline":0},"MarkEligible":false}""", Encoding.UTF8, "application/json"));
        Assert.True(drain.IsSuccessStatusCode, await drain.Content.ReadAsStringAsync());
        var ended = await sandboxes.InspectUntilAsync(next, s => s?.State is SandboxEngineState.Exited or SandboxEngineState.Dead);
        Assert.False(ended!.NodeLost);
    }

    private string NodeOf(SandboxHandle sandbox) =>
        (string?)_cluster.StandIn.Allocations(sandbox.Name).Single(a => (string?)a["ID"] == sandbox.EngineId)["NodeName"] ?? "";

    private static async Task<string> TextAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
