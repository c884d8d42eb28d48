using System.Diagnostics;

namespace Polydev.Bench;

/// <summary>Latencies of one measured phase, and its throughput over the phase's wall time.</summary>
internal sealed class Latencies(string name)
{
    private readonly List<double> _milliseconds = [];
    private readonly Lock _gate = new();

    public string Name { get; } = name;

    public double WallSeconds { get; private set; }

    public int Count => _milliseconds.Count;

    public double PerSecond => Count / WallSeconds;

    public double Percentile(double p) => NearestRank(_milliseconds, p);

    /// <summary>The nearest-rank percentile <paramref name="p"/> (0–100) of <paramref name="values"/>; NaN for none. Every bench's one.</summary>
    public static double NearestRank(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Runs <paramref name="operation"/> for each item with the given parallelism, timing each call.</summary>
    public static async Task<Latencies> MeasureAsync<T>(string name, IReadOnlyList<T> items, int parallelism, Func<T, Task> operation)
    {
        var result = new Latencies(name);
        var wall = Stopwatch.StartNew();
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (item, _) =>
        {
            var started = Stopwatch.GetTimestamp();
            await operation(item);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            lock (result._gate)
            {
                result._milliseconds.Add(elapsed);
            }
        });
        result.WallSeconds = wall.Elapsed.TotalSeconds;
        return result;
    }

    /// <summary>
    /// One phase measured in several slices (the vault bench interleaves the paths it compares, so that load from elsewhere
    /// on the machine falls on all of them alike): every latency, and the throughput over the slices' summed wall time.
    /// </summary>
    public static Latencies Combine(string name, IEnumerable<Latencies> slices)
    {
        var result = new Latencies(name);
        foreach (var slice in slices)
        {
            result._milliseconds.AddRange(slice._milliseconds);
            result.WallSeconds += slice.WallSeconds;
        }

        return result;
    }

    /// <summary>Adds one latency measured elsewhere (a browser's own clock, a child process).</summary>
    public void Add(double milliseconds)
    {
        lock (_gate)
        {
            _milliseconds.Add(milliseconds);
        }
    }

    public static Latencies MeasureSerial(string name, int count, Action operation)
    {
        var result = new Latencies(name);
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            operation();
            result._milliseconds.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        result.WallSeconds = wall.Elapsed.TotalSeconds;
        return result;
    }
}
