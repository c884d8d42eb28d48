using System.Globalization;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>The resource limits enforced, not only set: memory (and the OOM reported), CPU quota, pids.</summary>
public abstract partial class SandboxEngineConformance
{
    [Fact]
    public async Task A_memory_hog_is_oom_killed_and_the_engine_reports_the_oom()
    {
        var sandbox = await Sandboxes.CreateAsync(Sandboxes.Spec() with { Limits = SandboxLimits.Default with { MemoryBytes = 128L << 20 } });

        // A hog that stays under the limit runs: dd fills its whole buffer from /dev/zero, so every page is touched.
        var fine = await RunAsync(sandbox, "/bin/busybox dd if=/dev/zero of=/dev/null bs=48M count=1");
        Assert.Equal(0, fine.Exit);
        Assert.False((await Engine.InspectAsync(sandbox))!.OomKilled);

        var hog = await RunAsync(sandbox, "/bin/busybox dd if=/dev/zero of=/dev/null bs=200M count=1");
        Assert.Equal(137, hog.Exit);
        var status = await Sandboxes.InspectUntilAsync(sandbox, s => s!.OomKilled);
        Assert.True(status!.OomKilled, "the engine did not report the OOM kill");

        // The sandbox itself lives on: only the hog died.
        Assert.Equal(SandboxEngineState.Running, status.State);
        Assert.Equal(0, (await RunAsync(sandbox, "/bin/busybox true")).Exit);
    }

    [Fact]
    public async Task A_cpu_burner_gets_no_more_than_its_quota()
    {
        // A small quota: on a loaded 2-core host even an unlimited burner may get only a third of a core, so only
        // a quota well below that tells "limited" from "starved".
        const double quota = 0.1;
        var sandbox = await Sandboxes.CreateAsync(Sandboxes.Spec() with { Limits = SandboxLimits.Default with { Cpus = quota } });

        // Two burners: unlimited, they would take both cores of a 2-core machine. CPU time, wall time and the
        // periods the kernel throttled the sandbox all read inside, in one exec, so exec latency does not skew them.
        var burn = await RunAsync(sandbox, "for i in 1 2; do (while :; do :; done) >/dev/null 2>&1 & done");
        Assert.Equal(0, burn.Exit);
        var measured = await RunAsync(sandbox,
            "usage() { if [ -r /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then read n < /sys/fs/cgroup/cpuacct/cpuacct.usage; echo $((n / 1000)); " +
            "else while read k v; do [ $k = usage_usec ] && echo $v; done < /sys/fs/cgroup/cpu.stat; fi; }; " +
            "throttled() { f=/sys/fs/cgroup/cpu/cpu.stat; [ -r $f ] || f=/sys/fs/cgroup/cpu.stat; while read k v; do [ $k = nr_throttled ] && echo $v; done < $f; }; " +
            "/bin/busybox sleep 0.3; read t0 x < /proc/uptime; u0=$(usage); n0=$(throttled); /bin/busybox sleep 3; " +
            "read t1 x < /proc/uptime; u1=$(usage); n1=$(throttled); echo $t0 $u0 $n0 $t1 $u1 $n1");
        var values = measured.Stdout.Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(values.Length == 6, $"unexpected measurement '{measured.Stdout}' ({measured.Stderr})");
        var cores = (values[4] - values[1]) / 1e6 / (values[3] - values[0]);
        var throttledPeriods = values[5] - values[2];

        // A ceiling with margin (CFS periods, a loaded host); a floor that only proves the burners ran; and the
        // kernel's own word that it held them back.
        Assert.True(cores is > 0.01 and <= quota * 1.5, $"the burners got {cores:F3} cores with a quota of {quota}");
        Assert.True(throttledPeriods > 0, $"the kernel throttled no period of the burners ({cores:F3} cores)");
    }

    [Fact]
    public async Task A_fork_loop_stops_at_the_pids_limit_and_other_sandboxes_are_untouched()
    {
        const int limit = 48;
        var sandbox = await Sandboxes.CreateAsync(Sandboxes.Spec() with { Limits = SandboxLimits.Default with { PidsLimit = limit } });

        // The shell counts its children aloud with a builtin (no fork) and gives up at the first fork refused.
        var bomb = await RunAsync(sandbox, "i=0; while [ $i -lt 200 ]; do /bin/busybox sleep 60 & i=$((i+1)); echo $i; done", timeout: TimeSpan.FromSeconds(60));
        Assert.Contains("fork", bomb.Stderr, StringComparison.Ordinal);
        var started = int.Parse(bomb.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], CultureInfo.InvariantCulture);

        // Besides the sleepers: the main process, maybe an init, the shell (and, briefly, the engine's exec helper).
        Assert.InRange(started, limit - 8, limit - 2);

        var neighbour = await Sandboxes.CreateAsync();
        Assert.Equal(0, (await RunAsync(neighbour, "/bin/busybox true")).Exit);
    }
}
