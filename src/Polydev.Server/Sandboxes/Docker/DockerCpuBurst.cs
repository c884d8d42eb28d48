using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>
/// A sandbox's CPU limit as a budget per second with a burst, not a steady trickle. Docker's <c>--cpus</c> sets a
/// 100 ms period: a 0.5-CPU sandbox gets 50 ms of every 100, so a CLI's start-up (a second or more of CPU, all at
/// once) crawls at half a core however idle the host. Here the period is <see cref="PeriodMicroseconds"/> (1 s by
/// default) with the same average (quota = CPUs × period), and the kernel's CFS burst (<c>cpu.cfs_burst_us</c>,
/// Linux 5.14; cgroup v2 <c>cpu.max.burst</c>) is set to the quota: a sandbox that waited idle has banked up to one
/// period's quota and may spend it on top of the next period's, at full speed. The average stays at the limit
/// (unused quota is all that is banked, at most one period's), so the density the limit is sized for holds; the
/// bench (docs/benchmarks.md, issue 19) shows what it does to first text and to a neighbour under a CPU burner.
/// Docker's API has no burst field, so the engine writes the container's cgroup from the host, as it already sets the
/// sandbox's firewall: a kernel or host without burst leaves the limit as it is, with one warning.
/// </summary>
internal sealed class DockerCpuBurst(int periodMicroseconds, bool burst, ILogger logger)
{
    public const int DefaultPeriodMicroseconds = 1_000_000;

    private int _warned;

    public int PeriodMicroseconds { get; } = periodMicroseconds;

    /// <summary>Whether sandboxes get the burst (<see cref="DockerEngineOptions.CpuBurst"/>).</summary>
    public bool Enabled { get; } = burst;

    /// <summary>The CFS quota for <paramref name="cpus"/> in this period (the kernel's minimum is 1 ms), which is also the burst.</summary>
    public long QuotaMicroseconds(double cpus) => Math.Max(1000, (long)Math.Round(cpus * PeriodMicroseconds));

    /// <summary>
    /// Lets the container whose init is <paramref name="pid"/> bank up to one period's quota, through
    /// <paramref name="host"/>. A host without burst keeps the plain quota: one warning, and the sandbox is used as it is.
    /// </summary>
    public async Task ApplyAsync(HostOperations.IDockerHostOperations host, int pid, double cpus, CancellationToken cancellationToken)
    {
        if (!Enabled || pid <= 0)
        {
            return;
        }

        try
        {
            await host.SetCpuBurstAsync(pid, QuotaMicroseconds(cpus), cancellationToken);
        }
        catch (SandboxEngineException e)
        {
            if (Interlocked.Exchange(ref _warned, 1) == 0)
            {
                DockerCpuBurstLog.Unavailable(logger, e.Message);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="microseconds"/> as the burst of the cpu cgroup of the process <paramref name="pid"/> (a
    /// container's init), on the host: root's work (<see cref="HostOperations.IDockerHostOperations"/>).
    /// </summary>
    /// <exception cref="SandboxEngineException">The cgroup has no burst file, or it could not be written.</exception>
    public static async Task WriteAsync(int pid, long microseconds, CancellationToken cancellationToken, string cgroupRoot = "/sys/fs/cgroup", string procRoot = "/proc")
    {
        string? file = null;
        try
        {
            file = await BurstFileAsync(pid, cgroupRoot, procRoot, cancellationToken)
                ?? throw new SandboxEngineException("docker", "cpu burst", 500, "the container's cpu cgroup has no burst file (cpu.cfs_burst_us, cpu.max.burst)");
            await File.WriteAllTextAsync(file, microseconds.ToString(CultureInfo.InvariantCulture), cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxEngineException("docker", "cpu burst", 500, $"{file ?? "its cgroup"}: {e.Message}");
        }
    }

    /// <summary>The burst file of the process's cpu cgroup: cgroup v1's <c>cpu.cfs_burst_us</c>, else v2's <c>cpu.max.burst</c>.</summary>
    private static async Task<string?> BurstFileAsync(int pid, string cgroupRoot, string procRoot, CancellationToken cancellationToken)
    {
        foreach (var line in await File.ReadAllLinesAsync(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "cgroup"), cancellationToken))
        {
            // "4:cpu,cpuacct:/docker/<id>" (v1) or "0::/system.slice/docker-<id>.scope" (v2).
            var fields = line.Split(':', 3);
            if (fields.Length != 3)
            {
                continue;
            }

            if (fields[1].Split(',').Contains("cpu"))
            {
                var v1 = Path.Combine(cgroupRoot, "cpu", fields[2].TrimStart('/'), "cpu.cfs_burst_us");
                return File.Exists(v1) ? v1 : null;
            }

            if (fields[0] == "0" && fields[1].Length == 0)
            {
                var v2 = Path.Combine(cgroupRoot, fields[2].TrimStart('/'), "cpu.max.burst");
                if (File.Exists(v2))
                {
                    return v2;
                }
            }
        }

        return null;
    }
}

internal static partial class DockerCpuBurstLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Sandboxes get no CPU burst at start (Sandboxes:Docker:CpuBurst): {Why}. Their limit holds as a plain quota per period.")]
    public static partial void Unavailable(ILogger logger, string why);
}
