using System.Globalization;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>Who a sandbox's processes are and what they may write: non-root, no capabilities, a read-only root.</summary>
public abstract partial class SandboxEngineConformance
{
    [Fact]
    public async Task Every_process_runs_as_the_specs_non_root_user_without_capabilities_or_a_way_to_gain_privileges()
    {
        // Not the image's user (SandboxUser.Id): the spec's, so an engine that ignores it fails.
        var spec = Sandboxes.Spec() with { Limits = SandboxLimits.Default with { User = "2345:2346" } };
        var sandbox = await Sandboxes.CreateAsync(spec);

        var result = await RunAsync(sandbox, "/bin/busybox id -u; /bin/busybox id -g; /bin/busybox grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status");
        Assert.Equal(0, result.Exit);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))).ToList();
        Assert.Equal(
            ["2345", "2346", "CapInh: 0000000000000000", "CapPrm: 0000000000000000", "CapEff: 0000000000000000", "CapBnd: 0000000000000000", "CapAmb: 0000000000000000", "NoNewPrivs: 1"],
            lines);

        // Every process it can see (the main process, any init, this shell): real, effective, saved and file-system ids.
        var all = await RunAsync(sandbox, "for s in /proc/[0-9]*/status; do while read k a b c d; do case $k in Uid:|Gid:) echo $s $k $a $b $c $d;; esac; done < $s; done");
        var ids = all.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        Assert.Contains(ids, l => l.StartsWith("/proc/1/status Uid:", StringComparison.Ordinal));
        Assert.All(ids, l => Assert.Matches(@"^/proc/\d+/status (Uid: 2345 2345 2345 2345|Gid: 2346 2346 2346 2346)$", l));
    }

    [Fact]
    public async Task The_root_is_read_only_and_only_the_home_and_the_scratch_space_are_writable()
    {
        var sandbox = await Sandboxes.CreateAsync();
        // New files in root-owned directories: the write fails on the read-only file system before any permission check.
        foreach (var path in new[] { "/x", "/bin/x", "/etc/x", "/home/x" })
        {
            var write = await RunAsync(sandbox, $"echo x >> {path}");
            Assert.True(write.Exit != 0, $"writing {path} succeeded");
            Assert.Contains("Read-only file system", write.Stderr, StringComparison.Ordinal);
        }

        var writable = await RunAsync(sandbox, "cd && pwd && echo home > ~/f && echo scratch > /tmp/f && /bin/busybox cat ~/f /tmp/f");
        Assert.Equal((0, "/home/sandbox\nhome\nscratch\n", ""), writable);

        // An exec starts in the home unless told otherwise.
        await using var process = await Engine.ExecAsync(sandbox, new SandboxCommand(["/bin/busybox", "pwd"]) { WorkingDirectory = "/tmp" });
        await process.CloseStdinAsync();
        Assert.Equal("/tmp\n", await SandboxTestHarness.ReadAllAsync(process.Stdout, CancellationToken.None));
        Assert.Equal("/home/sandbox\n", (await RunAsync(sandbox, "pwd")).Stdout);
    }

    [Fact]
    public async Task The_specs_limits_are_what_the_sandbox_sees_from_inside()
    {
        // None of them the defaults, so an engine that applies its own fails.
        var limits = SandboxLimits.Default with { MemoryBytes = 192L << 20, Cpus = 0.25, PidsLimit = 77, ScratchBytes = 96L << 20 };
        var sandbox = await Sandboxes.CreateAsync(Sandboxes.Spec() with { Limits = limits });

        var memory = await RunAsync(sandbox, "/bin/busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || /bin/busybox cat /sys/fs/cgroup/memory.max");
        Assert.Equal((192L << 20).ToString(CultureInfo.InvariantCulture), memory.Stdout.Trim());
        var swap = await RunAsync(sandbox, "/bin/busybox cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || /bin/busybox cat /sys/fs/cgroup/memory.swap.max 2>/dev/null || echo unknown");
        Assert.Contains(swap.Stdout.Trim(), new[] { (192L << 20).ToString(CultureInfo.InvariantCulture), "0", "unknown" });

        var cpu = await RunAsync(sandbox, "if [ -r /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then read q < /sys/fs/cgroup/cpu/cpu.cfs_quota_us; read p < /sys/fs/cgroup/cpu/cpu.cfs_period_us; echo $q $p; else /bin/busybox cat /sys/fs/cgroup/cpu.max; fi");
        var quota = cpu.Stdout.Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(0.25, quota[0] / quota[1], 3);

        var pids = await RunAsync(sandbox, "/bin/busybox cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || /bin/busybox cat /sys/fs/cgroup/pids.max");
        Assert.Equal("77", pids.Stdout.Trim());

        // Scratch and home each hold the spec's size (a file system's own overhead aside), and no more.
        var sizes = await RunAsync(sandbox, "/bin/busybox df -k /tmp /home/sandbox | /bin/busybox tail -n 2");
        var kilobytes = sizes.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(2, kilobytes.Length);
        Assert.All(kilobytes, k => Assert.InRange(k, 80 * 1024, 96 * 1024));
        var full = await RunAsync(sandbox, "/bin/busybox dd if=/dev/zero of=/tmp/big bs=1M count=120 2>&1; /bin/busybox stat -c %s /tmp/big");
        Assert.Contains("No space left on device", full.Stdout, StringComparison.Ordinal);
        Assert.InRange(long.Parse(full.Stdout.Trim().Split('\n')[^1], CultureInfo.InvariantCulture), 70L << 20, 96L << 20);
        Assert.False((await Engine.InspectAsync(sandbox))!.OomKilled);
    }
}
