using System.Globalization;
using Polydev.Testing;

namespace Polydev.Bench;

/// <summary>
/// Moves whole processes, every thread of each, onto one CPU for a while, and puts back the CPUs
/// they had when disposed. <see cref="System.Diagnostics.Process.ProcessorAffinity"/> does not do
/// this on Linux: it calls <c>sched_setaffinity</c> on the process id, which names only the main
/// thread, and leaves the thread pool, the socket engine and the rest where they were (checked in
/// <c>/proc/PID/task/*/status</c>). util-linux's <c>taskset -a -cp</c> sets every thread; threads
/// started later inherit their creator's set. Each move is checked thread by thread.
/// </summary>
internal sealed class CpuPinning : IAsyncDisposable
{
    private const string AllowedList = "Cpus_allowed_list";
    private readonly List<(int ProcessId, string Original)> _moved = [];
    private readonly List<string> _placements = [];

    private CpuPinning()
    {
    }

    /// <summary>What each party got, for the reader: "name (pid N, M threads): CPU c".</summary>
    public IReadOnlyList<string> Placements => _placements;

    /// <param name="Name">Who the processes are, as printed.</param>
    /// <param name="ProcessIds">The processes; each moves with all its threads.</param>
    /// <param name="Cpu">The one CPU they may run on.</param>
    public sealed record Party(string Name, int[] ProcessIds, int Cpu);

    public static async Task<CpuPinning> PinAsync(IEnumerable<Party> parties)
    {
        var pinning = new CpuPinning();
        try
        {
            foreach (var party in parties)
            {
                var threads = 0;
                foreach (var processId in party.ProcessIds)
                {
                    pinning._moved.Add((processId, ProcessCpus(processId)));
                    threads += await SetAsync(processId, [party.Cpu]);
                }

                var ids = string.Join(", ", party.ProcessIds);
                pinning._placements.Add(Invariant($"{party.Name} (pid {ids}, {threads} threads): CPU {party.Cpu}"));
            }
        }
        catch
        {
            await pinning.DisposeAsync();
            throw;
        }

        return pinning;
    }

    /// <summary>The CPUs a process's main thread may run on, ascending.</summary>
    public static int[] AllowedCpus(int processId) => ParseList(ProcessCpus(processId));

    /// <summary>The process and all its descendants (e.g. Squid and its auth helpers), from the parent ids in /proc.</summary>
    public static int[] WithDescendants(int processId)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid) && ProcFs.StatFields(pid) is { } fields)
            {
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
        }

        var tree = new List<int> { processId };
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(parents.Where(p => p.Value == tree[i]).Select(p => p.Key).Order());
        }

        return [.. tree];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (processId, original) in _moved)
        {
            try
            {
                await SetAsync(processId, ParseList(original));
            }
            catch (Exception e) when (e is InvalidOperationException or IOException && !Directory.Exists($"/proc/{processId}"))
            {
                // It ended meanwhile: nothing to put back.
            }
        }

        _moved.Clear();
    }

    /// <summary>Sets every thread of the process to <paramref name="cpus"/>; returns how many threads it checked.</summary>
    private static async Task<int> SetAsync(int processId, int[] cpus)
    {
        var list = string.Join(",", cpus);
        for (var attempt = 1; ; attempt++)
        {
            var result = await ChildProcess.RunAsync("taskset", "-a", "-cp", list, processId.ToString(CultureInfo.InvariantCulture));
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"taskset -a -cp {list} {processId} failed ({result.ExitCode}): {result.Errors.Trim()}");
            }

            // A thread started by a not-yet-moved thread while taskset walked /proc/PID/task keeps the old set: go again.
            var threads = ThreadCpus(processId);
            var strays = threads.Where(t => !ParseList(t.Cpus).SequenceEqual(cpus)).ToList();
            if (strays.Count == 0)
            {
                return threads.Count;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"after taskset -a -cp {list} {processId}, threads {string.Join(", ", strays.Select(s => $"{s.ThreadId} on {s.Cpus}"))} are still elsewhere");
            }
        }
    }

    /// <summary>The main thread's Cpus_allowed_list, as the kernel writes it.</summary>
    private static string ProcessCpus(int processId) => ProcFs.Field($"/proc/{processId}/status", AllowedList);

    /// <summary>Each live thread's Cpus_allowed_list (threads that end while being read are left out).</summary>
    private static List<(int ThreadId, string Cpus)> ThreadCpus(int processId)
    {
        var threads = new List<(int, string)>();
        foreach (var directory in Directory.EnumerateDirectories($"/proc/{processId}/task"))
        {
            if (ProcFs.TryRead($"{directory}/status") is { } status && ProcFs.FieldIn(status.Split('\n'), AllowedList) is { } cpus)
            {
                threads.Add((int.Parse(Path.GetFileName(directory), CultureInfo.InvariantCulture), cpus));
            }
        }

        return threads;
    }

    /// <summary>The kernel's list format: "0-1", "0,2-3".</summary>
    private static int[] ParseList(string list) =>
    [
        .. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).SelectMany(part =>
        {
            var bounds = part.Split('-');
            var first = int.Parse(bounds[0], CultureInfo.InvariantCulture);
            var last = int.Parse(bounds[^1], CultureInfo.InvariantCulture);
            return Enumerable.Range(first, last - first + 1);
        }).Order(),
    ];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
