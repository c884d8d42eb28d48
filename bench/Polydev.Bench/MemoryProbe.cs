using System.Globalization;

namespace Polydev.Bench;

/// <summary>
/// Memory as the kernel counts it: this process's resident set (<c>/proc/self/status</c>), the host's available
/// memory (<c>/proc/meminfo</c>), and a container's cgroup (v1 under <c>/sys/fs/cgroup/memory/docker/ID</c>, v2
/// under <c>/sys/fs/cgroup/system.slice/docker-ID.scope</c>). A container's "used" is what <c>docker stats</c>
/// shows: usage minus inactive page cache.
/// </summary>
internal static class MemoryProbe
{
    public static double ProcessRssMiB() => StatusKiB("VmRSS") / 1024.0;

    public static double ProcessPeakRssMiB() => StatusKiB("VmHWM") / 1024.0;

    public static double HostAvailableMiB() => MeminfoKiB("MemAvailable") / 1024.0;

    /// <summary>A container's memory now, or null once it is gone.</summary>
    public static ContainerMemory? Container(string containerId)
    {
        try
        {
            var v1 = $"/sys/fs/cgroup/memory/docker/{containerId}";
            if (Directory.Exists(v1))
            {
                var stat = Stat(Path.Combine(v1, "memory.stat"));
                var usage = long.Parse(File.ReadAllText(Path.Combine(v1, "memory.usage_in_bytes")).Trim(), CultureInfo.InvariantCulture);
                return new ContainerMemory(usage - stat.GetValueOrDefault("total_inactive_file"), stat.GetValueOrDefault("total_rss"));
            }

            var v2 = $"/sys/fs/cgroup/system.slice/docker-{containerId}.scope";
            if (Directory.Exists(v2))
            {
                var stat = Stat(Path.Combine(v2, "memory.stat"));
                var usage = long.Parse(File.ReadAllText(Path.Combine(v2, "memory.current")).Trim(), CultureInfo.InvariantCulture);
                return new ContainerMemory(usage - stat.GetValueOrDefault("inactive_file"), stat.GetValueOrDefault("anon"));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Removed while being read.
        }

        return null;
    }

    private static Dictionary<string, long> Stat(string path) =>
        File.ReadAllLines(path)
            .Select(line => line.Split(' ', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);

    private static long StatusKiB(string field) => ProcFs.KiB("/proc/self/status", field);

    private static long MeminfoKiB(string field) => ProcFs.KiB("/proc/meminfo", field);
}

/// <param name="UsedBytes">Usage minus inactive page cache (<c>docker stats</c>' figure).</param>
/// <param name="AnonymousBytes">Anonymous memory: the processes' own heap and stacks.</param>
internal sealed record ContainerMemory(long UsedBytes, long AnonymousBytes);
