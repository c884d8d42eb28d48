using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Polydev.Server.Egress.Gateway;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Nomad;
using Polydev.Testing;
using Polydev.Testing.Nomad;
using Prometheus;
using static System.FormattableString;

namespace Polydev.Bench;

/// <summary>
/// The Nomad engine against the Docker engine in one run (issue 17), taking turns: the warm hand-out (a ready
/// sandbox's lease, <c>POST /api/executions</c> → 201) and create → first text of a real Claude Code run through each
/// engine's server; the cold hand-out through a server without a warm pool (<c>WarmTarget=0</c>); and the cold path at
/// the engine itself (create → running → a first exec answered), on the stand-in cluster (tests/Polydev.Testing/Nomad:
/// Nomad's HTTP API, real containers on this Docker) behind a real gateway.
/// </summary>
internal static class NomadBenchmark
{
    private const string Token = "bench-nomad-token";

    public static async Task RunAsync(int runs)
    {
        Console.WriteLine($"nomad: {runs} runs each, Docker engine and Nomad engine (stand-in cluster, 2 nodes, real containers) taking turns");
        await EnsureTestImageAsync();
        var egressFirst = FreePorts.FindBlock(8);
        // Nodes of 8 cores: six servers' pools share the cluster here, and a node's size is Nomad's bookkeeping (the
        // containers all run on this machine's two cores either way).
        NomadStandIn? cluster = null;
        DockerSandboxNetwork? network = null;
        EgressGatewayRelay? relay = null;
        try
        {
            cluster = await NomadStandIn.StartAsync(new NomadStandInOptions
            {
                ManagementToken = Token,
                NodeMeta = new Dictionary<string, string> { ["polydev_egress"] = "ready" },
                Nodes = [new NomadStandInNodeOptions("node-1") { Cores = 8 }, new NomadStandInNodeOptions("node-2") { Cores = 8 }],
            });
            network = new DockerSandboxNetwork(new DockerClient(), new DockerSandboxNetworkOptions(
                "polydev-bench-nomad", "pd-bench-nomad", "10.217.0.0/24", egressFirst, egressFirst + 7, RelayPort: FreePorts.FindBlock(1)));
            await network.EnsureAsync();
            relay = new EgressGatewayRelay(new EgressGatewayOptions { Upstream = "127.0.0.1", RelayPort = network.Options.RelayPort },
                network.Options.Gateway, (egressFirst, egressFirst + 7), new EgressGatewayMetrics(Metrics.NewCustomRegistry()), NullLogger.Instance);
            relay.Start();
            var options = new NomadEngineOptions
            {
                Address = cluster.Address.ToString(),
                Token = Token,
                JobPrefix = "polydev-bench-",
                Driver = new NomadDriverSettings { Network = network.Options.Name },
                Egress = new NomadEgressSettings { Address = network.Options.Gateway.ToString() },
            };
            await ColdAsync(runs, options, network.Network);
            await ServersAsync(runs, cluster, options, egressFirst);
        }
        finally
        {
            // As NomadTestCluster: the relay, then the stand-in (which removes its jobs' containers), then the network,
            // which Docker refuses to remove while a container is attached.
            if (relay is not null)
            {
                await CleanUpAsync("the relay", () => relay.DisposeAsync().AsTask());
            }

            if (cluster is not null)
            {
                await CleanUpAsync("the stand-in cluster", () => cluster.DisposeAsync().AsTask());
            }

            if (network is not null)
            {
                await CleanUpAsync("the nodes' sandbox network", () => network.RemoveAsync());
            }
        }
    }

    /// <summary>The engines alone: create (to a running main process, with its address on the network) and a first exec.</summary>
    private static async Task ColdAsync(int runs, NomadEngineOptions options, SandboxNetwork nomadNetwork)
    {
        var dockerNetwork = new DockerSandboxNetwork(new DockerClient(), new DockerSandboxNetworkOptions("polydev-bench-dockercold", "pd-bench-dcold", "10.217.1.0/24"));
        await dockerNetwork.EnsureAsync();
        var metrics = new SandboxEngineMetrics(Metrics.NewCustomRegistry());
        var engines = new (string Name, ISandboxEngine Engine, SandboxNetwork Network, List<double> Create, List<double> Exec)[]
        {
            ("docker", new DockerSandboxEngine(new DockerClient(), metrics, NullLogger<DockerSandboxEngine>.Instance), dockerNetwork.Network, [], []),
            ("nomad", new NomadSandboxEngine(new NomadClient(options), options, metrics, NullLogger<NomadSandboxEngine>.Instance), nomadNetwork, [], []),
        };
        try
        {
            for (var i = -1; i < runs; i++)
            {
                foreach (var (_, engine, network, create, exec) in engines)
                {
                    var spec = new SandboxSpec(SandboxTestImage.Reference, "claude", "bench", "bench-nomad-cold") { Command = ["/bin/busybox", "sleep", "600"], Network = network };
                    var started = Stopwatch.GetTimestamp();
                    var sandbox = await engine.CreateAsync(spec);
                    var created = Stopwatch.GetTimestamp();
                    long answered;
                    try
                    {
                        await using (var process = await engine.ExecAsync(sandbox, new SandboxCommand(["/bin/busybox", "true"])))
                        {
                            await process.CloseStdinAsync();
                            await Task.WhenAll(process.Stdout.CopyToAsync(Stream.Null), process.Stderr.CopyToAsync(Stream.Null));
                            await process.WaitForExitAsync();
                        }

                        answered = Stopwatch.GetTimestamp();
                    }
                    finally
                    {
                        await engine.DestroyAsync(sandbox);
                    }

                    if (i >= 0)
                    {
                        create.Add(Stopwatch.GetElapsedTime(started, created).TotalMilliseconds);
                        exec.Add(Stopwatch.GetElapsedTime(created, answered).TotalMilliseconds);
                    }
                }
            }
        }
        finally
        {
            await dockerNetwork.RemoveAsync();
        }

        Console.WriteLine();
        Console.WriteLine("| cold path, at the engine | runs | create p50 ms | p99 ms | first exec p50 ms | p99 ms | create + exec p50 ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, _, _, create, exec) in engines)
        {
            Console.WriteLine(Invariant($"| {name} | {create.Count} | {P(create, 50):0} | {P(create, 99):0} | {P(exec, 50):0} | {P(exec, 99):0} | {P(create.Zip(exec, (a, b) => a + b).ToList(), 50):0} |"));
        }

        var extra = P(engines[1].Create.Zip(engines[1].Exec, (a, b) => a + b).ToList(), 50) - P(engines[0].Create.Zip(engines[0].Exec, (a, b) => a + b).ToList(), 50);
        Console.WriteLine(Invariant($"Nomad's cold path costs {extra:0} ms more than Docker's at p50 (create + first exec)."));
    }

    /// <summary>
    /// The servers: a warm pool of 2 on each engine, a real Claude Code run per turn; once with the pool refilling as it
    /// hands out (the replacement is created during the run) and once at its ceiling (no creation during the run), since
    /// here the stand-in cluster runs in this process and its work competes with the hand-out for the same two cores,
    /// where a real Nomad server is another machine. Then a server per engine with no warm pool
    /// (<c>Sandboxes:Runtimes:claude:WarmTarget=0</c>): every hand-out creates its sandbox and waits for its agent.
    /// </summary>
    private static async Task ServersAsync(int runs, NomadStandIn cluster, NomadEngineOptions options, int egressFirst)
    {
        Dictionary<string, string?> Nomad(string prefix) => new()
        {
            ["Sandboxes:Engine"] = "nomad",
            ["Sandboxes:Nomad:Address"] = cluster.Address.ToString(),
            ["Sandboxes:Nomad:Token"] = Token,
            ["Sandboxes:Nomad:JobPrefix"] = prefix,
            ["Sandboxes:Nomad:Driver:Network"] = options.Driver.Network,
            ["Sandboxes:Nomad:Egress:Address"] = options.Egress.Address,
            ["Egress:BindAddress"] = "127.0.0.1",
            ["Egress:FirstPort"] = egressFirst.ToString(CultureInfo.InvariantCulture),
            ["Egress:LastPort"] = (egressFirst + 7).ToString(CultureInfo.InvariantCulture),
            ["Egress:Gateways:0"] = "127.0.0.0/8",
        };

        static ISandboxEngine NomadEngine(IServiceProvider services) => services.GetRequiredService<NomadSandboxEngine>();
        var hosts = new List<Turn>();
        // The Docker engine's servers make their own sandbox networks (10.216.N.0/24) and firewall chains, which outlive
        // a server; these are removed once the servers have stopped.
        int[] dockerNetworks = [40, 42, 44];
        try
        {
            hosts.Add(new("docker, refilling", await ExecutionHost.StartAsync("nomad-docker", 40, 2, 4, 4), Warm: true));
            hosts.Add(new("nomad, refilling", await ExecutionHost.StartAsync("nomad-nomad", 41, 2, 4, 4, moreSettings: Nomad("polydev-bench-warm-"), engine: NomadEngine), Warm: true));
            hosts.Add(new("docker, at its ceiling", await ExecutionHost.StartAsync("nomad-docker-quiet", 42, 2, 2, 4), Warm: true));
            hosts.Add(new("nomad, at its ceiling", await ExecutionHost.StartAsync("nomad-nomad-quiet", 43, 2, 2, 4, moreSettings: Nomad("polydev-bench-quiet-"), engine: NomadEngine), Warm: true));
            hosts.Add(new("docker, WarmTarget=0", await ExecutionHost.StartAsync("nomad-docker-cold", 44, 0, 2, 4), Warm: false));
            hosts.Add(new("nomad, WarmTarget=0", await ExecutionHost.StartAsync("nomad-nomad-cold", 45, 0, 2, 4, moreSettings: Nomad("polydev-bench-cold-"), engine: NomadEngine), Warm: false));
            for (var i = -1; i < runs; i++)
            {
                foreach (var turn in hosts)
                {
                    await turn.Host.WaitForQuietPoolAsync(turn.Warm ? 2 : 0, TimeSpan.FromMinutes(3));
                    var run = await turn.Host.RunAsync("Say hello.");
                    if (run.Warm != turn.Warm || run.ExitReason != "ok")
                    {
                        throw new InvalidOperationException($"{turn.Name}: run {run.Id} warm={run.Warm} exit={run.ExitReason} events {string.Join(",", run.EventTypes)}");
                    }

                    if (i >= 0)
                    {
                        turn.HandOut.Add(ExecutionRun.Milliseconds(run.Requested, run.Created));
                        turn.FirstText.Add(ExecutionRun.Milliseconds(run.Requested, run.FirstText));
                        if (!turn.Warm && run.SandboxId is not null && turn.Host.Engine.CreateMilliseconds(run.SandboxId) is { } create)
                        {
                            turn.EngineCreate.Add(create);
                        }
                    }
                }
            }
        }
        finally
        {
            foreach (var turn in hosts)
            {
                await CleanUpAsync(turn.Name, () => turn.Host.DisposeAsync().AsTask());
            }

            foreach (var network in dockerNetworks)
            {
                await CleanUpAsync($"network {network}", () => ExecutionHost.RemoveNetworkAsync(network));
            }
        }

        Console.WriteLine();
        Console.WriteLine("| warm, through the server | runs | hand-out (create → 201) p50 ms | p99 ms | create → first text p50 ms | p99 ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var turn in hosts.Where(t => t.Warm))
        {
            Console.WriteLine(Invariant($"| {turn.Name} | {turn.HandOut.Count} | {P(turn.HandOut, 50):0.0} | {P(turn.HandOut, 99):0.0} | {P(turn.FirstText, 50):0} | {P(turn.FirstText, 99):0} |"));
        }

        Console.WriteLine(Invariant($"Nomad/Docker warm hand-out p50, at the ceiling: {P(hosts[3].HandOut, 50) / P(hosts[2].HandOut, 50):0.00}x (goal: at most 2x); refilling: {P(hosts[1].HandOut, 50) / P(hosts[0].HandOut, 50):0.00}x; create → first text p50: {P(hosts[1].FirstText, 50) / P(hosts[0].FirstText, 50):0.00}x"));

        Console.WriteLine();
        Console.WriteLine("| cold, through the server (WarmTarget=0) | runs | create → 201 p50 ms | p99 ms | of which engine create p50 ms | create → first text p50 ms | p99 ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var turn in hosts.Where(t => !t.Warm))
        {
            Console.WriteLine(Invariant($"| {turn.Name} | {turn.HandOut.Count} | {P(turn.HandOut, 50):0} | {P(turn.HandOut, 99):0} | {P(turn.EngineCreate, 50):0} | {P(turn.FirstText, 50):0} | {P(turn.FirstText, 99):0} |"));
        }

        Console.WriteLine(Invariant($"Nomad − Docker cold create → 201 p50: {P(hosts[5].HandOut, 50) - P(hosts[4].HandOut, 50):+0;-0} ms ({P(hosts[5].HandOut, 50) / P(hosts[4].HandOut, 50):0.00}x); create → first text p50: {P(hosts[5].FirstText, 50) / P(hosts[4].FirstText, 50):0.00}x"));
    }

    /// <summary>One server's turns: its figures in ms.</summary>
    private sealed record Turn(string Name, ExecutionHost Host, bool Warm)
    {
        public List<double> HandOut { get; } = [];

        public List<double> FirstText { get; } = [];

        /// <summary>Cold servers only: the engine's own <c>CreateAsync</c> within the hand-out.</summary>
        public List<double> EngineCreate { get; } = [];
    }

    /// <summary>One step of cleaning up; a failure is reported and the next step still runs.</summary>
    private static async Task CleanUpAsync(string what, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"cleaning up {what}: {e.Message}");
        }
    }

    private static async Task EnsureTestImageAsync()
    {
        using var docker = new DockerClient();
        if (await docker.InspectImageAsync(SandboxTestImage.Reference) is null)
        {
            using var tarball = SandboxTestImage.BuildTarball();
            await docker.ImportImageAsync(tarball, SandboxTestImage.Repository, SandboxTestImage.Tag);
        }
    }

    private static double P(List<double> values, double p) => Latencies.NearestRank(values, p);
}
