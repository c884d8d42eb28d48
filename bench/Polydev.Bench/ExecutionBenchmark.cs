using System.Diagnostics;
using System.Globalization;
using Polydev.Contracts.Jobs;

namespace Polydev.Bench;

/// <summary>
/// Executions end to end with real sandboxes and the real Claude Code CLI against the Anthropic stub:
/// (1) create → the agent's <c>accepted</c> event and → the first <c>text</c> event, from a warm pool and on the cold
/// path, the two servers taking turns run by run; (2) many executions at once, with the server's and the sandboxes'
/// memory.
/// </summary>
internal static class ExecutionBenchmark
{
    private const string Prompt = "Say hello.";

    /// <param name="Bare">The providers whose CLI is also run bare, beside its warm execution (issue 19); empty: none.</param>
    public sealed record Settings(int Runs, int WarmTarget, int Concurrent, IReadOnlyList<string> Bare);

    public static async Task RunAsync(Settings settings)
    {
        if (settings.Runs > 0 && settings.Bare.Count > 0)
        {
            try
            {
                await AgainstBareAsync(settings);
            }
            finally
            {
                await RemoveNetworksAsync(4);
            }

            Console.WriteLine();
        }

        // Each server's sandbox network (10.216.N.0/24) is removed once the server has stopped: one left behind would
        // overlap a later network on the same range (the end-to-end tests' and other benches').
        if (settings.Runs > 0)
        {
            try
            {
                await WarmAgainstColdAsync(settings);
            }
            finally
            {
                await RemoveNetworksAsync(0, 3, 1);
            }
        }

        if (settings.Concurrent > 0)
        {
            Console.WriteLine();
            try
            {
                await ConcurrentAsync(settings.Concurrent);
            }
            finally
            {
                await RemoveNetworksAsync(2);
            }
        }
    }

    private static async Task RemoveNetworksAsync(params int[] networks)
    {
        foreach (var network in networks)
        {
            try
            {
                await ExecutionHost.RemoveNetworkAsync(network);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"the bench's sandbox network {network} was not removed: {e.Message}");
            }
        }
    }

    private static async Task WarmAgainstColdAsync(Settings settings)
    {
        Console.WriteLine($"executions: {settings.Runs} runs each, warm pool (target {settings.WarmTarget}, refilled and idle before each run) against cold (target 0), taking turns");
        // Three servers, each on its own sandbox network. "warm" is production's shape: taking a sandbox wakes the
        // refill, which creates and keys a replacement while the job starts. "warm, no refill" has its ceiling at
        // its target, so nothing is created until the run's sandbox is destroyed: the same path without that contention.
        await using var warm = await ExecutionHost.StartAsync("warm", 0, settings.WarmTarget, settings.WarmTarget + 2, 4);
        await using var quiet = await ExecutionHost.StartAsync("quiet", 3, settings.WarmTarget, settings.WarmTarget, 4);
        await using var cold = await ExecutionHost.StartAsync("cold", 1, 0, 2, 4);
        var paths = new (string Name, ExecutionHost Host, int Ready, bool Warm, List<ExecutionRun> Runs)[]
        {
            ("warm pool (refill starts at allocation)", warm, settings.WarmTarget, true, []),
            ("warm pool, no refill during the run", quiet, settings.WarmTarget, true, []),
            ("cold (create + keygen per execution)", cold, 0, false, []),
        };
        var fill = TimeSpan.FromMinutes(5);

        // One unmeasured run each (JIT, connection pools, the image's pages in the page cache); then the paths take
        // turns run by run, every server's pool full and idle before each run, so drift on the machine hits all alike.
        for (var i = -1; i < settings.Runs; i++)
        {
            foreach (var path in paths)
            {
                foreach (var other in paths)
                {
                    await other.Host.WaitForQuietPoolAsync(other.Ready, fill);
                }

                var run = Check(await path.Host.RunAsync(Prompt), path.Warm);
                if (i >= 0)
                {
                    path.Runs.Add(run);
                }
            }
        }

        var (warmRuns, quietRuns, coldRuns) = (paths[0].Runs, paths[1].Runs, paths[2].Runs);
        Console.WriteLine();
        Console.WriteLine("| path | runs | create→accept p50 ms | p99 ms | create→first text p50 ms | p99 ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, _, _, _, runs) in paths)
        {
            var accept = Of(runs, r => ExecutionRun.Milliseconds(r.Requested, r.Accepted));
            var text = Of(runs, r => ExecutionRun.Milliseconds(r.Requested, r.FirstText));
            Console.WriteLine(Invariant($"| {name} | {runs.Count} | {P(accept, 50):0.0} | {P(accept, 99):0.0} | {P(text, 50):0.0} | {P(text, 99):0.0} |"));
        }

        var ratio = P(Of(coldRuns, r => ExecutionRun.Milliseconds(r.Requested, r.Accepted)), 50) / P(Of(warmRuns, r => ExecutionRun.Milliseconds(r.Requested, r.Accepted)), 50);
        Console.WriteLine();
        var quietRatio = P(Of(coldRuns, r => ExecutionRun.Milliseconds(r.Requested, r.Accepted)), 50) / P(Of(quietRuns, r => ExecutionRun.Milliseconds(r.Requested, r.Accepted)), 50);
        Console.WriteLine(Invariant($"cold/warm create→accept p50: {ratio:0.0}x (warm with no refill during the run: {quietRatio:0.0}x)"));

        // Where an accept's time goes, in the order it is spent (client and server share one clock: same process).
        Console.WriteLine();
        Console.WriteLine("| phase (p50 ms; p99 in brackets) | warm | warm, no refill | cold |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        PhaseRow("POST /executions round trip (allocate, token, rows)", warmRuns, quietRuns, coldRuns, r => (r.Requested, r.Created));
        PhaseRow("client: seal the job (HPKE)", warmRuns, quietRuns, coldRuns, r => (r.Created, r.Sealed));
        PhaseRow("POST …/start round trip", warmRuns, quietRuns, coldRuns, r => (r.Sealed, r.StartAnswered));
        PhaseRow("start sent → job written to the waiting agent", warmRuns, quietRuns, coldRuns, r => (r.Sealed, r.Server?.JobWritten ?? 0));
        PhaseRow("agent: job written → its first output byte (open, accepted)", warmRuns, quietRuns, coldRuns, r => (r.Server?.JobWritten ?? 0, r.Server?.FirstByte ?? 0));
        PhaseRow("first byte at server → accepted decrypted by client", warmRuns, quietRuns, coldRuns, r => (r.Server?.FirstByte ?? 0, r.Accepted));
        PhaseRow("accepted → first text (Claude Code start + one stub call)", warmRuns, quietRuns, coldRuns, r => (r.Accepted, r.FirstText));

        // Inside the sandbox, on the agent's own clock (the exit event's timings): where "accepted → first text" goes.
        Console.WriteLine();
        Console.WriteLine("| in the sandbox, since the job arrived (p50 ms; p99 in brackets) | warm | warm, no refill | cold |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        TimingRow("credential placed", warmRuns, quietRuns, coldRuns, t => (0, t.CredentialPlacedMs));
        TimingRow("credential placed → CLI spawned", warmRuns, quietRuns, coldRuns, t => (t.CredentialPlacedMs, t.CliSpawnedMs));
        TimingRow("CLI spawned → its first byte to egress (CLI start-up)", warmRuns, quietRuns, coldRuns, t => (t.CliSpawnedMs, t.EgressFirstByteMs));
        TimingRow("first byte to egress → provider's first byte (CONNECT, proxy, dial)", warmRuns, quietRuns, coldRuns, t => (t.EgressFirstByteMs, t.ProviderFirstByteMs));
        TimingRow("provider's first byte → first text (TLS, request, answer, mapping)", warmRuns, quietRuns, coldRuns, t => (t.ProviderFirstByteMs, t.FirstTextMs));
        TimingRow("first text → end (the rest of the turn, CLI exit)", warmRuns, quietRuns, coldRuns, t => (t.FirstTextMs, t.EndMs));
    }

    /// <summary>
    /// Issue 19's goal, per provider: a warm execution's create → first text beside the same CLI run bare in the same
    /// image (<see cref="BareCli"/>) at the sandbox's CPU limit and with none, the three taking turns run by run.
    /// </summary>
    private static async Task AgainstBareAsync(Settings settings)
    {
        var cpus = Polydev.Server.Sandboxes.SandboxLimits.Default.Cpus;
        Console.WriteLine(Invariant($"first text against the bare CLI: {settings.Runs} runs each; a warm execution (pool target {settings.WarmTarget}, refilled), the CLI bare in its image at --cpus {cpus} and with no limit, taking turns"));
        var rows = new List<string>();
        var inside = new List<string>();
        var neighbours = new List<string>();
        foreach (var provider in settings.Bare)
        {
            await using var host = await ExecutionHost.StartAsync($"bare-{provider}", 4, settings.WarmTarget, settings.WarmTarget + 2, 4, providers: [provider]);
            var stub = host.Stubs[provider];
            await using var limited = await BareCli.StartAsync(provider, cpus, host.StubBaseUrl(provider), stub.AuthorityPem, stub.Answer);
            await using var unlimited = await BareCli.StartAsync(provider, null, host.StubBaseUrl(provider), stub.AuthorityPem, stub.Answer);
            var (polydev, atLimit, free) = (new List<ExecutionRun>(), new List<double>(), new List<double>());
            for (var i = -1; i < settings.Runs; i++)
            {
                await host.WaitForQuietPoolAsync(settings.WarmTarget, TimeSpan.FromMinutes(5));
                var run = Check(await host.RunAsync(Prompt, provider: provider), expectWarm: true);
                var (a, b) = (await limited.RunAsync(Prompt), await unlimited.RunAsync(Prompt));
                if (i >= 0)
                {
                    polydev.Add(run);
                    atLimit.Add(a);
                    free.Add(b);
                }
            }

            var text = Of(polydev, r => ExecutionRun.Milliseconds(r.Requested, r.FirstText));
            rows.Add(Invariant($"| {provider} | {P(text, 50):0} ({P(text, 99):0}) | {P(atLimit, 50):0} ({P(atLimit, 99):0}) | {P(free, 50):0} ({P(free, 99):0}) | {P(text, 50) / P(free, 50):0.00}x | {P(text, 50) / P(atLimit, 50):0.00}x |"));
            string Span(Func<JobTimings, (long? From, long? To)> span)
            {
                var values = Of(polydev, r => r.Timings is { } t && span(t) is ({ } from, { } to) ? to - from : double.NaN);
                return values.Count == 0 ? "" : Invariant($"{P(values, 50):0}");
            }

            var idle = text;
            var loaded = new List<string>();
            foreach (var burners in (int[])[1, 3])
            {
                var underLoad = await UnderBurnersAsync(host, provider, burners, settings);
                loaded.Add(Invariant($"{P(underLoad, 50):0} / {P(underLoad, 99):0} ({P(underLoad, 99) / P(idle, 99):0.00}x)"));
            }

            neighbours.Add(Invariant($"| {provider} | {P(idle, 50):0} / {P(idle, 99):0} | {loaded[0]} | {loaded[1]} |"));
            var ahead = polydev.Count(r => r.Timings?.CliStartedAhead == true);
            inside.Add($"| {provider} | {ahead}/{polydev.Count} | {Span(t => (0, t.CliSpawnedMs))} | {Span(t => (t.CliSpawnedMs, t.EgressFirstByteMs))} | {Span(t => (t.EgressFirstByteMs, t.ProviderFirstByteMs))} | {Span(t => (t.ProviderFirstByteMs, t.FirstTextMs))} | {Span(t => (0, t.FirstTextMs))} |");
        }

        Console.WriteLine();
        Console.WriteLine(Invariant($"| provider | Polydev warm: create→first text p50 (p99) ms | bare at --cpus {cpus}: start→first text p50 (p99) ms | bare, no limit p50 (p99) ms | Polydev ÷ bare no limit | Polydev ÷ bare at the limit |"));
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        rows.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine("| in the sandbox, p50 ms since the job arrived | CLI started ahead | → CLI spawned (or handed the job) | → first byte to egress | → provider's first byte | → first text | job → first text |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        inside.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine(Invariant($"| neighbours: warm create→first text p50 / p99 ms | idle host (the runs above) | 1 burner sandbox ({cpus} CPU busy; p99 ÷ idle p99) | 3 burner sandboxes |"));
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        neighbours.ForEach(Console.WriteLine);
    }

    /// <summary>
    /// Warm runs while <paramref name="burners"/> other sandboxes of the same image and limits (made by the same
    /// engine, so with the same CPU period and burst) spin on every core they may use.
    /// </summary>
    private static async Task<List<double>> UnderBurnersAsync(ExecutionHost host, string provider, int burners, Settings settings)
    {
        var spec = new Polydev.Server.Sandboxes.SandboxSpec(ExecutionHost.ImageOf(provider), "burner", "bench", "bench-burner")
        {
            Command = ["/bin/sh", "-c", "while :; do :; done & while :; do :; done"],
        };
        var handles = new List<Polydev.Server.Sandboxes.SandboxHandle>();
        try
        {
            for (var i = 0; i < burners; i++)
            {
                handles.Add(await host.Engine.CreateAsync(spec with { Id = Guid.NewGuid().ToString("N") }));
            }

            // Long enough for the burners to have spent any burst they banked while starting.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var runs = new List<double>();
            for (var i = -1; i < settings.Runs; i++)
            {
                await host.WaitForQuietPoolAsync(settings.WarmTarget, TimeSpan.FromMinutes(5));
                var run = Check(await host.RunAsync(Prompt, provider: provider), expectWarm: true);
                if (i >= 0)
                {
                    runs.Add(ExecutionRun.Milliseconds(run.Requested, run.FirstText));
                }
            }

            return runs;
        }
        finally
        {
            foreach (var handle in handles)
            {
                await host.Engine.DestroyAsync(handle);
            }
        }
    }

    private static void TimingRow(string name, List<ExecutionRun> warm, List<ExecutionRun> quiet, List<ExecutionRun> cold, Func<JobTimings, (long? From, long? To)> span)
    {
        string Cell(List<ExecutionRun> runs)
        {
            var values = Of(runs, r => r.Timings is { } t && span(t) is ({ } from, { } to) ? to - from : double.NaN);
            return values.Count == 0 ? "" : Invariant($"{P(values, 50):0} ({P(values, 99):0})");
        }

        Console.WriteLine($"| {name} | {Cell(warm)} | {Cell(quiet)} | {Cell(cold)} |");
    }

    /// <summary>Peak memory of one running Claude Code sandbox measured here (about 105–112 MiB), with room to spare.</summary>
    private const double RunningSandboxMiB = 150;

    private static async Task ConcurrentAsync(int count)
    {
        // Never drive the host into its OOM killer: other work shares this machine.
        var fits = (int)((MemoryProbe.HostAvailableMiB() - 2048) / RunningSandboxMiB);
        if (fits < count)
        {
            Console.WriteLine(Invariant($"only {MemoryProbe.HostAvailableMiB():0} MiB available: {count} Claude Code runs at ~{RunningSandboxMiB:0} MiB each would not fit; running {fits}"));
            count = Math.Max(fits, 1);
        }

        Console.WriteLine($"executions: {count} at once, one user, each a real Claude Code run against the stub; pool warmed to {count} first");
        await using var host = await ExecutionHost.StartAsync("many", 2, count, count, count, warmConcurrency: 4);
        var filling = Stopwatch.StartNew();
        await host.WaitForQuietPoolAsync(count, TimeSpan.FromMinutes(30));
        var fillSeconds = filling.Elapsed.TotalSeconds;

        var containers = await host.SandboxContainerIdsAsync();
        var idle = containers.Select(MemoryProbe.Container).OfType<ContainerMemory>().ToList();
        var rssBefore = MemoryProbe.ProcessRssMiB();
        var availableBefore = MemoryProbe.HostAvailableMiB();

        using var sampling = new CancellationTokenSource();
        var sampler = new MemorySampler(containers);
        var sampled = sampler.RunAsync(TimeSpan.FromMilliseconds(500), sampling.Token);

        var wall = Stopwatch.StartNew();
        var runs = await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            try
            {
                var run = await host.RunAsync(Prompt);
                var end = await host.WaitForEndAsync(run.Id, TimeSpan.FromMinutes(5));
                return (Run: run, State: end.State, Reason: end.Reason, Error: (string?)null);
            }
            catch (Exception e)
            {
                return (Run: (ExecutionRun?)null, State: "client_error", Reason: (string?)null, Error: e.Message);
            }
        }));
        var wallSeconds = wall.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampled;
        var rssAfter = MemoryProbe.ProcessRssMiB();

        var succeeded = runs.Where(r => r.State == "succeeded" && r.Run is { ExitReason: "ok", FirstText: not 0 }).Select(r => r.Run!).ToList();
        Console.WriteLine();
        Console.WriteLine("| executions at once | succeeded | warm-up of the pool s | wall s (first create → last end) | create→accept p50 / p99 ms | create→first text p50 / p99 ms | create→end p99 ms |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var accept = Of(succeeded, r => ExecutionRun.Milliseconds(r.Requested, r.Accepted));
        var text = Of(succeeded, r => ExecutionRun.Milliseconds(r.Requested, r.FirstText));
        var end = Of(succeeded, r => ExecutionRun.Milliseconds(r.Requested, r.Ended));
        Console.WriteLine(Invariant($"| {count} | {succeeded.Count} | {fillSeconds:0} | {wallSeconds:0.0} | {P(accept, 50):0} / {P(accept, 99):0} | {P(text, 50):0} / {P(text, 99):0} | {P(end, 99):0} |"));
        foreach (var failure in runs.Where(r => r.State != "succeeded").GroupBy(r => $"{r.State} {r.Reason} {r.Error}").Take(5))
        {
            Console.WriteLine($"failed ×{failure.Count()}: {failure.Key}");
        }

        var peaks = sampler.PeakUsedBytes.Values.Select(b => b / 1048576.0).ToList();
        var anonPeaks = sampler.PeakAnonymousBytes.Values.Select(b => b / 1048576.0).ToList();
        Console.WriteLine();
        Console.WriteLine("| memory | MiB |");
        Console.WriteLine("| --- | ---: |");
        Console.WriteLine(Invariant($"| bench process RSS (server + stub + clients), {count} idle sandboxes ready | {rssBefore:0} |"));
        Console.WriteLine(Invariant($"| bench process RSS, peak while running (sampled) | {sampler.PeakProcessRssMiB:0} |"));
        Console.WriteLine(Invariant($"| bench process RSS after all ended | {rssAfter:0} |"));
        Console.WriteLine(Invariant($"| idle sandbox (agent only), used per sandbox, mean of {idle.Count} | {(idle.Count == 0 ? double.NaN : idle.Average(m => m.UsedBytes) / 1048576.0):0.0} |"));
        Console.WriteLine(Invariant($"| idle sandbox, anonymous per sandbox, mean | {(idle.Count == 0 ? double.NaN : idle.Average(m => m.AnonymousBytes) / 1048576.0):0.0} |"));
        Console.WriteLine(Invariant($"| running sandbox, peak used per sandbox, p50 / max | {P(peaks, 50):0} / {P(peaks, 100):0} |"));
        Console.WriteLine(Invariant($"| running sandbox, peak anonymous per sandbox, p50 / max | {P(anonPeaks, 50):0} / {P(anonPeaks, 100):0} |"));
        Console.WriteLine(Invariant($"| all sandboxes, peak of the sum of used | {sampler.PeakTotalUsedBytes / 1048576.0:0} |"));
        Console.WriteLine(Invariant($"| host MemAvailable before / lowest while running | {availableBefore:0} / {sampler.LowestHostAvailableMiB:0} |"));
    }

    private static ExecutionRun Check(ExecutionRun run, bool expectWarm)
    {
        if (run.Accepted == 0 || run.FirstText == 0 || run.ExitReason != "ok")
        {
            throw new InvalidOperationException($"execution {run.Id} did not run to the end (accepted: {run.Accepted != 0}, text: {run.FirstText != 0}, exit: {run.ExitReason ?? "none"}, events: {string.Join(" ", run.EventTypes)})");
        }

        if (run.Warm != expectWarm)
        {
            throw new InvalidOperationException($"execution {run.Id} came from the {(run.Warm ? "warm pool" : "cold path")}, not the {(expectWarm ? "warm pool" : "cold path")}");
        }

        return run;
    }

    private static void PhaseRow(string name, List<ExecutionRun> warm, List<ExecutionRun> quiet, List<ExecutionRun> cold, Func<ExecutionRun, (long From, long To)> span)
    {
        string Cell(List<ExecutionRun> runs)
        {
            var values = Of(runs, r => span(r) is var (from, to) ? ExecutionRun.Milliseconds(from, to) : double.NaN);
            return values.Count == 0 ? "" : Invariant($"{P(values, 50):0.0} ({P(values, 99):0.0})");
        }

        Console.WriteLine($"| {name} | {Cell(warm)} | {Cell(quiet)} | {Cell(cold)} |");
    }

    private static List<double> Of(IEnumerable<ExecutionRun> runs, Func<ExecutionRun, double> value) =>
        runs.Select(value).Where(v => !double.IsNaN(v)).ToList();

    /// <summary>Nearest-rank percentile; with 15 samples p99 is the slowest.</summary>
    private static double P(List<double> values, double p) => Latencies.NearestRank(values, p);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Samples the sandboxes' cgroups, the host and this process until cancelled, keeping the peaks.</summary>
    private sealed class MemorySampler(IReadOnlyList<string> containers)
    {
        public Dictionary<string, long> PeakUsedBytes { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, long> PeakAnonymousBytes { get; } = new(StringComparer.Ordinal);

        public long PeakTotalUsedBytes { get; private set; }

        public double LowestHostAvailableMiB { get; private set; } = double.MaxValue;

        public double PeakProcessRssMiB { get; private set; }

        public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                long total = 0;
                foreach (var id in containers)
                {
                    if (MemoryProbe.Container(id) is not { } memory)
                    {
                        continue;
                    }

                    total += memory.UsedBytes;
                    PeakUsedBytes[id] = Math.Max(PeakUsedBytes.GetValueOrDefault(id), memory.UsedBytes);
                    PeakAnonymousBytes[id] = Math.Max(PeakAnonymousBytes.GetValueOrDefault(id), memory.AnonymousBytes);
                }

                PeakTotalUsedBytes = Math.Max(PeakTotalUsedBytes, total);
                LowestHostAvailableMiB = Math.Min(LowestHostAvailableMiB, MemoryProbe.HostAvailableMiB());
                PeakProcessRssMiB = Math.Max(PeakProcessRssMiB, MemoryProbe.ProcessRssMiB());
                try
                {
                    await Task.Delay(interval, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
