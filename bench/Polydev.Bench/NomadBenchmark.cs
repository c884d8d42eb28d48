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
/// engine's server; and the cold path at the engine itself (create → running → a first exec answered), on the stand-in
/// cluster (tests/Polydev.Testing/Nomad: Nomad's HTTP API, real containers on this Docker) behind a real gateway.
/// </summary>
internal static class NomadBenchmark
{
    private const string Token = "bench-nomad-token";

    public static async Task RunAsync(int runs)
    {
        Console.WriteLine($"nomad: {runs} runs each, Docker engine and Nomad engine (stand-in cluster, 2 nodes, real containers) taking turns");
        await EnsureTestImageAsync();
        var egressFirst = FreePorts.FindBlock(8);
        // Nodes of 8 cores: four servers' pools share the cluster here, and a node's size is Nomad's bookkeeping (the
        // containers all run on this machine's two cores either way).
        await using var cluster = await NomadStandIn.StartAsync(new NomadStandInOptions
        {
            ManagementToken = Token,
            NodeMeta = new Dictionary<string, string> { ["polydev_egress"] = "ready" },
            Nodes = [new NomadStandInNodeOptions("node-1") { Cores = 8 }, new NomadStandInNodeOptions("node-2") { Cores = 8 }],
        });
        var network = new DockerSandboxNetwork(new DockerClient(), new DockerSandboxNetworkOptions(
            "polydev-bench-nomad", "pd-bench-nomad", "10.217.0.0/24", egressFirst, egressFirst + 7, RelayPort: FreePorts.FindBlock(1)));
        await network.EnsureAsync();
        var relay = new EgressGatewayRelay(new EgressGatewayOptions { Upstream = "127.0.0.1", RelayPort = network.Options.RelayPort },
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
        try
        {
            await ColdAsync(runs, options, network.Network);
            await WarmAsync(runs, cluster, options, network, egressFirst);
        }
        finally
        {
            await relay.DisposeAsync();
            await network.RemoveAsync();
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
                    await using (var process = await engine.ExecAsync(sandbox, new SandboxCommand(["/bin/busybox", "true"])))
                    {
                        await process.CloseStdinAsync();
                        await Task.WhenAll(process.Stdout.CopyToAsync(Stream.Null), process.Stderr.CopyToAsync(Stream.Null));
                        await process.WaitForExitAsync();
                    }

                    var answered = Stopwatch.GetTimestamp();
                    await engine.DestroyAsync(sandbox);
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
    /// where a real Nomad server is another machine.
    /// </summary>
    private static async Task WarmAsync(int runs, NomadStandIn cluster, NomadEngineOptions options, DockerSandboxNetwork network, int egressFirst)
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
        var hosts = new List<(string Name, ExecutionHost Host, List<double> HandOut, List<double> FirstText)>();
        try
        {
            hosts.Add(("docker, refilling", await ExecutionHost.StartAsync("nomad-docker", 40, 2, 4, 4), [], []));
            hosts.Add(("nomad, refilling", await ExecutionHost.StartAsync("nomad-nomad", 41, 2, 4, 4, moreSettings: Nomad("polydev-bench-warm-"), engine: NomadEngine), [], []));
            hosts.Add(("docker, at its ceiling", await ExecutionHost.StartAsync("nomad-docker-quiet", 42, 2, 2, 4), [], []));
            hosts.Add(("nomad, at its ceiling", await ExecutionHost.StartAsync("nomad-nomad-quiet", 43, 2, 2, 4, moreSettings: Nomad("polydev-bench-quiet-"), engine: NomadEngine), [], []));
            for (var i = -1; i < runs; i++)
            {
                foreach (var (name, host, handOut, firstText) in hosts)
                {
                    await host.WaitForQuietPoolAsync(2, TimeSpan.FromMinutes(3));
                    var run = await host.RunAsync("Say hello.");
                    if (!run.Warm || run.ExitReason != "ok")
                    {
                        throw new InvalidOperationException($"{name}: run {run.Id} warm={run.Warm} exit={run.ExitReason} events {string.Join(",", run.EventTypes)}");
                    }

                    if (i >= 0)
                    {
                        handOut.Add(ExecutionRun.Milliseconds(run.Requested, run.Created));
                        firstText.Add(ExecutionRun.Milliseconds(run.Requested, run.FirstText));
                    }
                }
            }
        }
        finally
        {
            foreach (var (_, host, _, _) in hosts)
            {
                await host.DisposeAsync();
            }
        }

        Console.WriteLine();
        Console.WriteLine("| warm, through the server | runs | hand-out (create → 201) p50 ms | p99 ms | create → first text p50 ms | p99 ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, _, handOut, firstText) in hosts)
        {
            Console.WriteLine(Invariant($"| {name} | {handOut.Count} | {P(handOut, 50):0.0} | {P(handOut, 99):0.0} | {P(firstText, 50):0} | {P(firstText, 99):0} |"));
        }

        Console.WriteLine(Invariant($"Nomad/Docker warm hand-out p50, at the ceiling: {P(hosts[3].HandOut, 50) / P(hosts[2].HandOut, 50):0.00}x (goal: at most 2x); refilling: {P(hosts[1].HandOut, 50) / P(hosts[0].HandOut, 50):0.00}x; create → first text p50: {P(hosts[1].FirstText, 50) / P(hosts[0].FirstText, 50):0.00}x"));
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

    private static double P(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
