using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Polydev.Contracts;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using static System.FormattableString;

namespace Polydev.Bench;

/// <summary>
/// The fan-out cost of <c>polydev mcp</c> (issue 18): <c>get_perspectives</c> over the three providers against
/// <c>send_cli_prompt</c> on each alone, in one run, taking turns. The real server in-process with a warm pool per
/// runtime kind (claude, codex, gemini) on the local Docker engine and each provider's stub
/// (<see cref="ExecutionHost"/>); a user made by the real <c>polydev signup</c> with an API key per provider pointing at
/// its stub; the real <c>polydev mcp</c> over stdio, driven by the MCP SDK's own client. Every pool is full and quiet
/// before each call, so every run starts on a warm sandbox; each call's wall time is measured at the client.
/// </summary>
internal static partial class McpBenchmark
{
    private const string Prompt = "Say hello.";
    private const string Password = "bench password, long enough";

    /// <summary>The goal of issue 18: the fan-out at most this many times the slowest single provider (p50).</summary>
    private const double Goal = 1.3;

    private static readonly string[] Names = [Providers.Anthropic, Providers.OpenAI, Providers.Google];

    /// <summary>A run's phases in the order they are reached, as the progress messages word them (RunPhase.Words).</summary>
    private static readonly (string Phase, string Words)[] Phases =
    [
        ("allocated", "warm sandbox"),
        ("delivered", "job sealed and sent"),
        ("accepted", "credential delivered"),
        ("cli_started", "CLI started"),
        ("first_output", "first output"),
    ];

    private const int Network = 46;

    /// <param name="maxSandboxes">Each kind's ceiling; at the target, nothing is refilled while a call runs (a
    /// diagnostic: production refills as it hands out, which the default, target + 2, does).</param>
    public static async Task RunAsync(int runs, int warmTarget, int maxSandboxes)
    {
        Console.WriteLine(Invariant($"mcp: {runs} runs, taking turns: send_cli_prompt on each of {string.Join(", ", Names)} alone, then get_perspectives over all three; warm pool per kind (target {warmTarget}, ceiling {maxSandboxes}{(maxSandboxes <= warmTarget ? ": no refill while a call runs" : "")}), full and quiet before every call"));
        try
        {
            await using var host = await ExecutionHost.StartAsync(
                "mcp", Network, warmTarget, maxSandboxes, 8, providers: Names,
                moreSettings: new Dictionary<string, string?> { ["Sandboxes:Runtimes:login:Enabled"] = "false" });
            await MeasureAsync(host, runs, warmTarget);
        }
        finally
        {
            // The server keeps its sandbox network (and firewall chain) when it stops, as a real one does.
            try
            {
                await ExecutionHost.RemoveNetworkAsync(Network);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"cleaning up network {Network}: {e.Message}");
            }
        }
    }

    private static async Task MeasureAsync(ExecutionHost host, int runs, int warmTarget)
    {
        var url = host.Http.BaseAddress!.ToString().TrimEnd('/');
        using var cli = new PolydevCli(url);
        await cli.SignUpAsync($"mcp-bench-{Guid.NewGuid():N}@example.test", Password);
        foreach (var name in Names)
        {
            host.Stubs[name].Answer = $"The {name} stub answers {Guid.NewGuid():N}.";
            await cli.RunAsync(["credentials", "add", name, "--base-url", host.StubBaseUrl(name), "--ca-file", host.Stubs[name].AuthorityPemPath], $"bench-key-{name}-{Guid.NewGuid():N}");
        }

        var (command, arguments, environment) = cli.Invocation(["mcp"]);
        var logs = new ConcurrentQueue<string>();
        await using var client = await McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "polydev",
            Command = command,
            Arguments = [.. arguments],
            EnvironmentVariables = environment,
            ShutdownTimeout = TimeSpan.FromSeconds(10),
            StandardErrorLines = logs.Enqueue,
        }));

        var singles = Names.ToDictionary(n => n, _ => new List<Call>());
        var fanOuts = new List<Call>();
        var fill = TimeSpan.FromMinutes(5);
        var calls = 0;

        // One unmeasured round first (the MCP server's JIT, its vault session, connection pools, the images' pages).
        for (var i = -1; i < runs; i++)
        {
            foreach (var name in Names)
            {
                await host.WaitForQuietPoolAsync(warmTarget, fill);
                var call = await CallAsync(client, host, logs, ++calls, "send_cli_prompt", new() { ["provider_id"] = name, ["prompt"] = Prompt }, [name]);
                if (i >= 0)
                {
                    singles[name].Add(call);
                }
            }

            await host.WaitForQuietPoolAsync(warmTarget, fill);
            var fanOut = await CallAsync(client, host, logs, ++calls, "get_perspectives", new() { ["prompt"] = Prompt, ["providers"] = Names }, Names);
            if (i >= 0)
            {
                fanOuts.Add(fanOut);
            }
        }

        Report(singles, fanOuts);
    }

    /// <summary>One tool call, timed at the client from the request to the result; every provider must have answered from a warm sandbox.</summary>
    private static async Task<Call> CallAsync(
        McpClient client, ExecutionHost host, ConcurrentQueue<string> logs, int number, string tool, Dictionary<string, object?> arguments, string[] providers)
    {
        // What else the machine is doing, read before the clock starts: other containers on the engine (not this
        // server's sandboxes) and the load average; then the host's CPU over the call.
        var others = await OtherContainersAsync(host);
        var load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        var progress = new ProgressMessages();
        var cpu = await CpuSampler.StartAsync(host);
        var started = Stopwatch.GetTimestamp();
        var result = await client.CallToolAsync(tool, arguments, progress);
        var wall = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var used = await cpu.StopAsync();
        var text = string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));
        if (result.IsError == true || result.StructuredContent is not { } structured)
        {
            throw new InvalidOperationException($"{tool} failed: {text}\n{string.Join('\n', logs.TakeLast(20))}");
        }

        var call = new Call(tool, wall)
        {
            Cpu = used,
            OtherContainers = others,
            Load = load,
        };
        foreach (var p in structured.GetProperty("perspectives").EnumerateArray())
        {
            var provider = p.GetProperty("provider").GetString()!;
            if (!p.GetProperty("ok").GetBoolean() || !p.GetProperty("answer").GetString()!.Contains(host.Stubs[provider].Answer, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{tool}: {provider} did not answer with its stub's answer: {text}");
            }

            if (!p.TryGetProperty("warm_sandbox", out var warm) || !warm.GetBoolean())
            {
                throw new InvalidOperationException($"{tool}: {provider} did not run on a warm sandbox: {p}");
            }

            call.Done[provider] = p.GetProperty("seconds").GetDouble() * 1000;
        }

        if (!providers.All(call.Done.ContainsKey))
        {
            throw new InvalidOperationException($"{tool}: expected answers of {string.Join(", ", providers)}: {text}");
        }

        foreach (var provider in providers)
        {
            call.Phases[provider] = progress.PhasesOf(Providers.CliName(provider));
        }

        // The server's own time for the call, from its log line on stderr (written as the call ends; the console
        // logger may write it just after the result went out).
        var deadline = Stopwatch.StartNew();
        while (logs.Count(l => l.Contains("MCP tool", StringComparison.Ordinal)) < number && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20);
        }

        var line = logs.Where(l => l.Contains("MCP tool", StringComparison.Ordinal)).ElementAtOrDefault(number - 1);
        if (line is not null && ToolLogLine().Match(line) is { Success: true } match && match.Groups["tool"].Value == tool)
        {
            call.ServerMs = double.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture);
        }

        return call;
    }

    /// <summary>Running containers on the engine that are not this server's sandboxes (another run's, a test's).</summary>
    private static async Task<int> OtherContainersAsync(ExecutionHost host)
    {
        using var docker = new DockerClient();
        var containers = await docker.ListContainersAsync([]);
        return containers.EnumerateArray().Count(c =>
            c.GetProperty("State").GetString() == "running"
            && !(c.TryGetProperty("Labels", out var labels) && labels.ValueKind == System.Text.Json.JsonValueKind.Object
                 && labels.TryGetProperty(SandboxLabels.Owner, out var owner) && owner.GetString() == host.ServerId));
    }

    private static void Report(Dictionary<string, List<Call>> singles, List<Call> fanOuts)
    {
        var runs = fanOuts.Count;
        Console.WriteLine();
        Console.WriteLine("| tool call (wall time at the MCP client) | runs | p50 ms | p90 ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var (name, calls) in singles)
        {
            var wall = calls.Select(c => c.WallMs).ToList();
            Console.WriteLine(Invariant($"| send_cli_prompt {name} ({Providers.CliName(name)}) | {calls.Count} | {P(wall, 50):0} | {P(wall, 90):0} |"));
        }

        var slowest = singles.MaxBy(s => P(s.Value.Select(c => c.WallMs).ToList(), 50));
        var slowestP50 = P(slowest.Value.Select(c => c.WallMs).ToList(), 50);
        var fanOutWall = fanOuts.Select(c => c.WallMs).ToList();
        Console.WriteLine(Invariant($"| slowest single provider: {slowest.Key} (its p50) | {slowest.Value.Count} | {slowestP50:0} | |"));
        Console.WriteLine(Invariant($"| get_perspectives, {string.Join(" + ", Names)} | {runs} | {P(fanOutWall, 50):0} | {P(fanOutWall, 90):0} |"));
        var ratio = P(fanOutWall, 50) / slowestP50;
        Console.WriteLine();
        Console.WriteLine(Invariant($"get_perspectives p50 / slowest single provider p50: {ratio:0.00}x (goal: at most {Goal:0.0}x): {(ratio <= Goal ? "met" : "MISSED")}"));
        var perRun = Enumerable.Range(0, runs).Select(i => fanOuts[i].WallMs / Names.Max(n => singles[n][i].WallMs)).ToList();
        Console.WriteLine(Invariant($"per round, get_perspectives / the slowest send_cli_prompt of the same round: p50 {P(perRun, 50):0.00}x, min {perRun.Min():0.00}x, max {perRun.Max():0.00}x"));

        // Where the time goes: each provider's run as the runner saw it (ms since the run began; the phases from the
        // progress notifications, "done" from the result's seconds), alone and inside the fan-out.
        Console.WriteLine();
        Console.Write("| phase, ms since the run began (p50) |");
        foreach (var name in Names)
        {
            Console.Write($" {name} alone | {name} in fan-out |");
        }

        Console.WriteLine();
        Console.WriteLine("| --- |" + string.Concat(Enumerable.Repeat(" ---: | ---: |", Names.Length)));
        foreach (var (phase, _) in Phases)
        {
            Console.Write($"| {phase} |");
            foreach (var name in Names)
            {
                Console.Write(Invariant($" {Cell(singles[name], name, phase)} | {Cell(fanOuts, name, phase)} |"));
            }

            Console.WriteLine();
        }

        Console.Write("| done (the CLI exited; the result's seconds) |");
        foreach (var name in Names)
        {
            Console.Write(Invariant($" {P(singles[name].Select(c => c.Done[name]).ToList(), 50):0} | {P(fanOuts.Select(c => c.Done[name]).ToList(), 50):0} |"));
        }

        Console.WriteLine();

        // Around the runs: the call's wall time less its slowest run (the vault session, chat and prompt stored before,
        // the answers stored after, MCP over stdio), and less the server's own time for the call (stdio and JSON-RPC).
        Console.WriteLine();
        Console.WriteLine("| around the runs (p50) | wall ms | slowest run's done ms | wall − slowest done ms | polydev mcp's own time for the call ms | wall − its own time ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (label, calls) in singles.Select(s => ($"send_cli_prompt {s.Key}", s.Value)).Append(("get_perspectives", fanOuts)))
        {
            var wall = calls.Select(c => c.WallMs).ToList();
            var done = calls.Select(c => c.Done.Values.Max()).ToList();
            var server = calls.Where(c => c.ServerMs is not null).ToList();
            Console.WriteLine(Invariant($"| {label} | {P(wall, 50):0} | {P(done, 50):0} | {P(calls.Select(c => c.WallMs - c.Done.Values.Max()).ToList(), 50):0} | {P(server.Select(c => c.ServerMs!.Value).ToList(), 50):0} | {P(server.Select(c => c.WallMs - c.ServerMs!.Value).ToList(), 50):0} |"));
        }

        // CPU while the calls ran (cgroup v1 accounting, sampled every 200 ms): what each run's sandbox used and how long
        // its 0.5-core quota held it back, against the host's two cores and who else used them.
        Console.WriteLine();
        Console.Write("| CPU during the call (p50) |");
        foreach (var name in Names)
        {
            Console.Write($" {name} alone | {name} in fan-out |");
        }

        Console.WriteLine();
        Console.WriteLine("| --- |" + string.Concat(Enumerable.Repeat(" ---: | ---: |", Names.Length)));
        CpuRow("the provider's sandbox: CPU ms", (c, name) => c.CpuMsByProvider.GetValueOrDefault(name, double.NaN));
        CpuRow("the provider's sandbox: ms held back by its quota (throttled)", (c, name) => c.ThrottledMsByProvider.GetValueOrDefault(name, double.NaN));
        CpuRow("host CPU busy, whole call (% of all cores)", (c, _) => c.HostBusy * 100);
        CpuRow("host CPU busy, busiest second (%)", (c, _) => c.BusiestSecond * 100);
        CpuRow("all containers' CPU ms (refills and others' containers too)", (c, _) => c.ContainersCpuMs);
        CpuRow("bench process CPU ms (server, egress, stubs, MCP client)", (c, _) => c.BenchCpuMs);

        void CpuRow(string label, Func<CpuUse, string, double> value)
        {
            Console.Write($"| {label} |");
            foreach (var name in Names)
            {
                Console.Write(Invariant($" {P(singles[name].Select(c => value(c.Cpu, name)).ToList(), 50):0} | {P(fanOuts.Select(c => value(c.Cpu, name)).ToList(), 50):0} |"));
            }

            Console.WriteLine();
        }

        Console.WriteLine();
        Console.WriteLine("Every call, in order: wall ms (each provider's done ms; host CPU busy; other containers running, load average at the start):");
        for (var i = 0; i < runs; i++)
        {
            var line = string.Join("; ", Names.Select(n => Invariant($"{n} {singles[n][i].WallMs:0} ({singles[n][i].Done[n]:0}; {Machine(singles[n][i])})")));
            var fanOut = fanOuts[i];
            Console.WriteLine(Invariant($"  round {i + 1}: {line}; get_perspectives {fanOut.WallMs:0} ({string.Join(", ", Names.Select(n => Invariant($"{n} {fanOut.Done[n]:0}")))}; {Machine(fanOut)})"));
        }

        static string Machine(Call c) => Invariant($"{c.Cpu.HostBusy:P0}, {c.OtherContainers}, {c.Load:0.0}");
    }

    private static string Cell(List<Call> calls, string provider, string phase)
    {
        var values = calls.Select(c => c.Phases[provider].GetValueOrDefault(phase, double.NaN)).Where(v => !double.IsNaN(v)).ToList();
        return values.Count == 0 ? "" : Invariant($"{P(values, 50):0}");
    }

    /// <summary>Nearest-rank percentile; with 5 samples p90 is the slowest.</summary>
    private static double P(List<double> values, double p) => Latencies.NearestRank(values, p);

    /// <summary>One tool call: its wall time at the client, and each provider's run as the server's result and progress reported it.</summary>
    private sealed record Call(string Tool, double WallMs)
    {
        /// <summary>Each provider's run from its start to the CLI's exit, in ms (the result's <c>seconds</c>).</summary>
        public Dictionary<string, double> Done { get; } = [];

        /// <summary>Each provider's phases, ms since its run began.</summary>
        public Dictionary<string, Dictionary<string, double>> Phases { get; } = [];

        /// <summary><c>polydev mcp</c>'s own time for the call, from its log line.</summary>
        public double? ServerMs { get; set; }

        /// <summary>CPU used while the call ran.</summary>
        public CpuUse Cpu { get; init; } = null!;

        /// <summary>Containers running on the engine at the call's start that are not this server's.</summary>
        public int OtherContainers { get; init; }

        /// <summary>The 1-minute load average at the call's start.</summary>
        public double Load { get; init; }
    }

    /// <summary>The progress notifications of one call (the SDK reports them on its own threads).</summary>
    private sealed class ProgressMessages : IProgress<ProgressNotificationValue>
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public void Report(ProgressNotificationValue value)
        {
            if (value.Message is { } message)
            {
                _messages.Enqueue(message);
            }
        }

        /// <summary>"Claude Code: CLI started (1234 ms)" → cli_started = 1234, for one CLI.</summary>
        public Dictionary<string, double> PhasesOf(string cli)
        {
            var phases = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var message in _messages)
            {
                if (PhaseMessage().Match(message) is { Success: true } match && match.Groups["cli"].Value == cli
                    && Phases.FirstOrDefault(p => p.Words == match.Groups["words"].Value).Phase is { } phase)
                {
                    phases[phase] = double.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture);
                }
            }

            return phases;
        }
    }

    [GeneratedRegex(@"^(?<cli>[^:]+): (?<words>.+) \((?<ms>\d+) ms\)$")]
    private static partial Regex PhaseMessage();

    [GeneratedRegex(@"MCP tool (?<tool>[a-z_]+) ended (?<outcome>[a-z]+) after (?<ms>\d+) ms")]
    private static partial Regex ToolLogLine();

    /// <summary>
    /// CPU used while one call ran, from cgroup v1 accounting and <c>/proc/stat</c>: the ready sandboxes of this server at
    /// the start by provider (each run takes one of these; the others stay idle), all containers together, the host,
    /// and this process.
    /// </summary>
    private sealed record CpuUse(
        IReadOnlyDictionary<string, double> CpuMsByProvider,
        IReadOnlyDictionary<string, double> ThrottledMsByProvider,
        double HostBusy,
        double BusiestSecond,
        double ContainersCpuMs,
        double BenchCpuMs);

    /// <summary>Samples CPU accounting every 200 ms from before a call starts until it ends.</summary>
    private sealed class CpuSampler
    {
        private const string CpuAcct = "/sys/fs/cgroup/cpuacct/docker";
        private const string Cpu = "/sys/fs/cgroup/cpu/docker";

        private readonly IReadOnlyDictionary<string, string> _providerOf;
        private readonly Dictionary<string, (long UsageNs, long ThrottledNs)> _first = [];
        private readonly Dictionary<string, (long UsageNs, long ThrottledNs)> _last = [];
        private readonly List<(long At, long Busy, long Total)> _host = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly TimeSpan _benchBefore = Process.GetCurrentProcess().TotalProcessorTime;
        private long _containersFirst = -1;
        private long _containersLast = -1;
        private Task _loop = Task.CompletedTask;

        private CpuSampler(IReadOnlyDictionary<string, string> providerOf) => _providerOf = providerOf;

        public static async Task<CpuSampler> StartAsync(ExecutionHost host)
        {
            var kinds = ExecutionHost.Kinds.ToDictionary(k => k.Value, k => k.Key);
            var owned = await host.Engine.ListOwnedAsync(host.ServerId);
            var sampler = new CpuSampler(owned.Where(s => kinds.ContainsKey(s.Runtime)).ToDictionary(s => s.Handle.EngineId, s => kinds[s.Runtime]));
            sampler.Sample();
            sampler._loop = sampler.LoopAsync();
            return sampler;
        }

        public async Task<CpuUse> StopAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            Sample();
            var cpu = new Dictionary<string, double>();
            var throttled = new Dictionary<string, double>();
            foreach (var (id, last) in _last)
            {
                var provider = _providerOf[id];
                cpu[provider] = cpu.GetValueOrDefault(provider) + (last.UsageNs - _first[id].UsageNs) / 1e6;
                throttled[provider] = throttled.GetValueOrDefault(provider) + (last.ThrottledNs - _first[id].ThrottledNs) / 1e6;
            }

            var (first, end) = (_host[0], _host[^1]);
            var busiest = 0.0;
            for (var i = 0; i < _host.Count; i++)
            {
                // The shortest stretch of at least a second ending at sample i.
                var j = _host.FindLastIndex(i, h => Stopwatch.GetElapsedTime(h.At, _host[i].At) >= TimeSpan.FromSeconds(1));
                if (j >= 0 && _host[i].Total > _host[j].Total)
                {
                    busiest = Math.Max(busiest, (double)(_host[i].Busy - _host[j].Busy) / (_host[i].Total - _host[j].Total));
                }
            }

            return new CpuUse(
                cpu,
                throttled,
                end.Total > first.Total ? (double)(end.Busy - first.Busy) / (end.Total - first.Total) : double.NaN,
                busiest,
                _containersFirst >= 0 ? (_containersLast - _containersFirst) / 1e6 : double.NaN,
                (Process.GetCurrentProcess().TotalProcessorTime - _benchBefore).TotalMilliseconds);
        }

        private async Task LoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(200, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                Sample();
            }
        }

        private void Sample()
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var total = fields.Take(8).Sum();
            // Busy: all but idle and iowait.
            _host.Add((Stopwatch.GetTimestamp(), total - fields[3] - fields[4], total));
            if (Number(ProcFs.TryRead($"{CpuAcct}/cpuacct.usage")) is { } all)
            {
                _containersFirst = _containersFirst < 0 ? all : _containersFirst;
                _containersLast = all;
            }

            foreach (var id in _providerOf.Keys)
            {
                // Gone once the run's sandbox is destroyed: its last sample stands.
                if (Number(ProcFs.TryRead($"{CpuAcct}/{id}/cpuacct.usage")) is not { } usage
                    || ProcFs.TryRead($"{Cpu}/{id}/cpu.stat") is not { } stat
                    || Number(stat.Split('\n').Select(l => l.Split(' ')).FirstOrDefault(f => f is ["throttled_time", _])?[1]) is not { } throttledNs)
                {
                    continue;
                }

                _first.TryAdd(id, (usage, throttledNs));
                _last[id] = (usage, throttledNs);
            }
        }

        private static long? Number(string? text) => long.TryParse(text?.Trim(), CultureInfo.InvariantCulture, out var value) ? value : null;
    }
}
