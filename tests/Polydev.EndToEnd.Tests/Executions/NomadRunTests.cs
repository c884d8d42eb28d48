using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.EndToEnd.Tests.Monitoring;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Testing.Nomad;

namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>
/// <c>polydev run</c> with <c>Sandboxes:Engine = nomad</c>: a real <c>polydev server</c> submitting jobs to the stand-in
/// cluster (real containers on the local Docker engine), a real <c>polydev egress gateway</c> making the node's
/// sandbox network, relaying the egress port and marking the nodes ready, and the real Claude Code in its runtime
/// image answering from the provider stub.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class NomadRunTests
{
    private const string Token = "e2e-nomad-management-token";

    [Fact]
    public async Task Run_through_the_Nomad_engine_streams_the_stubs_answer_through_the_nodes_gateway()
    {
        await using var provider = await ProviderUnderTest.StartAsync("anthropic");
        await using var cluster = await NomadStandIn.StartAsync(new NomadStandInOptions { ManagementToken = Token });
        var egressPort = ServerProcess.FreePort();
        var network = new DockerSandboxNetworkOptions("polydev-test-e2e-nomad", "pd-test-e2en", "10.219.0.0/24", egressPort, egressPort, RelayPort: ServerProcess.FreePort());
        var gatewayUrl = $"http://127.0.0.1:{ServerProcess.FreePort()}";
        using var gateway = Process.Start(PolydevProcess.StartInfo(
            ["egress", "gateway", "--upstream", "127.0.0.1", "--urls", gatewayUrl, "--nomad", cluster.Address.ToString()],
            new Dictionary<string, string?>
            {
                ["NOMAD_TOKEN"] = Token,
                ["POLYDEV_EGRESS__FIRSTPORT"] = egressPort.ToString(CultureInfo.InvariantCulture),
                ["POLYDEV_EGRESS__LASTPORT"] = egressPort.ToString(CultureInfo.InvariantCulture),
                ["POLYDEV_EGRESS__GATEWAY__RELAYPORT"] = network.RelayPort.ToString(CultureInfo.InvariantCulture),
                ["POLYDEV_SANDBOXES__DOCKER__NETWORK__NAME"] = network.Name,
                ["POLYDEV_SANDBOXES__DOCKER__NETWORK__BRIDGENAME"] = network.BridgeName,
                ["POLYDEV_SANDBOXES__DOCKER__NETWORK__SUBNET"] = network.Subnet,
            }))!;
        gateway.StandardInput.Close();
        try
        {
            // The gateway is up and has marked the nodes ready for networked sandboxes.
            await WaitForAsync(async () => (await TryGetAsync(gatewayUrl + "/health")) is not null, "the egress gateway never became healthy");
            await WaitForAsync(() => Task.FromResult(cluster.Nodes.Count == 2), "the stand-in has no nodes");
            using var nomad = new HttpClient { BaseAddress = cluster.Address };
            nomad.DefaultRequestHeaders.Add("X-Nomad-Token", Token);
            foreach (var node in cluster.Nodes)
            {
                using var detail = JsonDocument.Parse(await nomad.GetStringAsync($"v1/node/{node.ID}"));
                Assert.Equal("ready", detail.RootElement.GetProperty("Meta").GetProperty("polydev_egress").GetString());
            }

            var serverId = SandboxedServer.NewServerId();
            await using var server = await SandboxedServer.StartAsync(["anthropic"], serverId, egressPort, moreSettings: new Dictionary<string, string?>
            {
                ["POLYDEV_SANDBOXES__ENGINE"] = "nomad",
                ["POLYDEV_SANDBOXES__NOMAD__ADDRESS"] = cluster.Address.ToString(),
                ["POLYDEV_SANDBOXES__NOMAD__TOKEN"] = Token,
                ["POLYDEV_SANDBOXES__NOMAD__DRIVER__NETWORK"] = network.Name,
                ["POLYDEV_SANDBOXES__NOMAD__EGRESS__ADDRESS"] = network.Gateway.ToString(),
                ["POLYDEV_EGRESS__BINDADDRESS"] = "127.0.0.1",
                ["POLYDEV_EGRESS__GATEWAYS__0"] = "127.0.0.0/8",
            });
            // Issue 20: Prometheus watches the server and the node's gateway while the run goes through them.
            await using var monitoring = await LiveMonitoring.StartAsync(server, gatewayUrl);
            using var cli = new Cli(server.Url);
            await cli.SignupAsync($"nomad-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));
            var apiKey = Needles.Canary("key");
            (await cli.RunAsync(["credentials", "add", "anthropic", "--base-url", provider.BaseUrl, "--ca-file", provider.Stub.AuthorityPemPath], stdin: apiKey)).Succeeded();
            await SandboxedServer.WaitForReadyAsync(server, "anthropic", TimeSpan.FromSeconds(90));

            var run = await cli.RunAsync(["run", "--provider", "anthropic", "-"], stdin: "Say hello.");
            Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Stderr}\n{server.Logs}");
            Assert.Contains(provider.Stub.Answer, run.Stdout, StringComparison.Ordinal);
            Assert.Contains("warm sandbox", run.Stderr, StringComparison.Ordinal);
            Assert.All(provider.Stub.ReceivedCredentials, credential => Assert.Equal(apiKey, credential));

            // It ran as a Nomad job, and its traffic went through the node's gateway.
            Assert.Contains(cluster.Events, e => e.Method == "POST" && e.Path == "/v1/jobs");
            Assert.Contains(cluster.Events, e => e.Path.EndsWith("/exec", StringComparison.Ordinal));
            var metrics = await TryGetAsync(gatewayUrl + "/metrics") ?? "";
            Assert.Matches(@"polydev_egress_gateway_connections_total\{outcome=""relayed""\} [1-9]", metrics);
            Assert.Contains("polydev_sandbox_engine_operations_total{engine=\"nomad\",operation=\"create\",outcome=\"ok\"}", await server.GetAsync("/metrics"), StringComparison.Ordinal);

            // The Nomad dashboard shows the engine's calls and the gateway's traffic; Nomad's own telemetry panels need a
            // real Nomad agent, which the stand-in cluster is not, so they are the only ones not run.
            await monitoring.AssertDashboardsShowDataAsync(["polydev-nomad"], query => query.Contains("nomad_client_", StringComparison.Ordinal), NomadTelemetryQueries);
            await monitoring.AssertMetricsFollowConventionsAsync();
        }
        finally
        {
            await PolydevProcess.StopAsync(gateway);
            await new DockerSandboxNetwork(new DockerClient(), network).RemoveAsync();
        }
    }

    private static readonly string[] NomadTelemetryQueries =
    [
        "Polydev: Nomad / Client memory allocated and free, by node [A]",
        "Polydev: Nomad / Client memory allocated and free, by node [B]",
        "Polydev: Nomad / Client CPU allocated and free, by node [A]",
        "Polydev: Nomad / Client CPU allocated and free, by node [B]",
        "Polydev: Nomad / Allocations running, by node [A]",
    ];

    private static async Task<string?> TryGetAsync(string url)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            using var response = await http.GetAsync(url);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(200);
        }
    }
}
