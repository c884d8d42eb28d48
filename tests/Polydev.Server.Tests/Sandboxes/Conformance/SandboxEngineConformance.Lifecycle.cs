using System.Text;
using Polydev.Server.Sandboxes;
using Prometheus;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>
/// The lifecycle a server relies on: destroy leaves nothing, a restarted server finds exactly what it owns, a dead
/// main process is reported with its reason, a spec that would weaken a rule is refused, and what a sandbox is given
/// stays out of the logs and metrics.
/// </summary>
public abstract partial class SandboxEngineConformance
{
    [Fact]
    public async Task Destroy_leaves_nothing_behind_and_is_idempotent()
    {
        var sandbox = await Sandboxes.CreateAsync();
        Assert.Equal(SandboxEngineState.Running, (await Engine.InspectAsync(sandbox))!.State);
        Assert.NotEmpty(await Under.TracesAsync(sandbox.Id));
        Assert.Equal(0, (await RunAsync(sandbox, "echo data > /tmp/f && echo data > ~/f")).Exit);

        await Engine.DestroyAsync(sandbox);
        Assert.Null(await Engine.InspectAsync(sandbox));
        Assert.Empty(await Engine.ListOwnedAsync(Sandboxes.OwnerId));
        Assert.Empty(await Under.TracesAsync(sandbox.Id));

        await Engine.DestroyAsync(sandbox);
        Assert.Null(await Engine.InspectAsync(sandbox));
    }

    [Fact]
    public async Task After_a_restart_a_new_engine_instance_lists_exactly_what_this_owner_owns_and_can_remove_it()
    {
        await using var otherServer = new SandboxTestHarness(Under.CreateEngine, Under.Image);
        var first = await Sandboxes.CreateAsync(Sandboxes.Spec("claude", "v7"));
        var second = await Sandboxes.CreateAsync(Sandboxes.Spec("gemini", "v8"));
        var foreign = await otherServer.CreateAsync();

        // A sandbox whose main process has ended is still listed, so the reconciler removes it.
        var ended = await Sandboxes.CreateAsync(Sandboxes.Spec("codex", "v9") with { Command = ["/bin/busybox", "sh", "-c", "exit 5"] });
        await Sandboxes.InspectUntilAsync(ended, s => s?.State == SandboxEngineState.Exited);

        var restarted = Sandboxes.NewEngineInstance();
        var mine = await restarted.ListOwnedAsync(Sandboxes.OwnerId);
        Assert.Equal(new[] { first.EngineId, second.EngineId, ended.EngineId }.Order(), mine.Select(s => s.Handle.EngineId).Order());
        // Positionally: handle, runtime kind (the spec's second field), image version, owner, state, created, labels.
        var (handle, kind, version, owner, state, _, labels) = mine.Single(s => s.Handle.EngineId == first.EngineId);
        Assert.Equal((first, "claude", "v7", Sandboxes.OwnerId, SandboxEngineState.Running), (handle, kind, version, owner, state));
        Assert.Equal("warming", labels[SandboxLabels.State]);
        var (_, secondKind, secondVersion, _, _, _, _) = mine.Single(s => s.Handle.EngineId == second.EngineId);
        Assert.Equal(("gemini", "v8"), (secondKind, secondVersion));
        Assert.Equal(SandboxEngineState.Exited, mine.Single(s => s.Handle.EngineId == ended.EngineId).State);

        Assert.Equal(foreign, Assert.Single(await restarted.ListOwnedAsync(otherServer.OwnerId)).Handle);
        Assert.Empty(await restarted.ListOwnedAsync("test-" + Guid.NewGuid().ToString("N")[..12]));

        // The restarted server reconciles: it removes what it found, through handles it only listed, and nothing is left.
        foreach (var sandbox in mine)
        {
            await restarted.DestroyAsync(sandbox.Handle);
        }

        Assert.Empty(await restarted.ListOwnedAsync(Sandboxes.OwnerId));
        foreach (var sandbox in new[] { first, second, ended })
        {
            Assert.Empty(await Under.TracesAsync(sandbox.Id));
        }

        Assert.Equal(SandboxEngineState.Running, (await restarted.InspectAsync(foreign))!.State);
    }

    [Fact]
    public async Task A_main_process_that_dies_is_reported_with_its_reason()
    {
        // Exits on its own with a code; cannot start at all; is OOM-killed.
        var exits = await Sandboxes.CreateAsync(Sandboxes.Spec() with { Command = ["/bin/busybox", "sh", "-c", "/bin/busybox sleep 0.5; exit 7"] });
        var missing = await Sandboxes.CreateAsync(Sandboxes.Spec() with { Command = ["/bin/not-there"] });
        var hog = await Sandboxes.CreateAsync(Sandboxes.Spec() with
        {
            Command = ["/bin/busybox", "sh", "-c", "/bin/busybox sleep 0.5; exec /bin/busybox dd if=/dev/zero of=/dev/null bs=200M count=1"],
            Limits = SandboxLimits.Default with { MemoryBytes = 64L << 20 },
        });

        var statuses = await Task.WhenAll(new[] { exits, missing, hog }.Select(s => Sandboxes.InspectUntilAsync(s, st => st?.State == SandboxEngineState.Exited && st.ExitCode is not null)));
        Assert.Equal(new SandboxStatus(SandboxEngineState.Exited, false, 7, statuses[0]!.StartedAt), statuses[0]);
        Assert.Equal(SandboxEngineState.Exited, statuses[1]!.State);
        Assert.NotEqual(0, statuses[1]!.ExitCode);
        Assert.False(statuses[1]!.OomKilled);
        Assert.Equal(SandboxEngineState.Exited, statuses[2]!.State);
        Assert.True(statuses[2]!.OomKilled, "the engine did not report the main process's OOM kill");
        Assert.Equal(137, statuses[2]!.ExitCode);
    }

    [Fact]
    public async Task Specs_that_would_weaken_a_rule_or_cannot_start_are_refused_and_leave_nothing_behind()
    {
        var spec = Sandboxes.Spec();
        SandboxSpec With(Func<SandboxLimits, SandboxLimits> change) => spec with { Id = Guid.NewGuid().ToString("N"), Limits = change(spec.Limits) };
        var weakened = new[]
        {
            With(l => l with { User = "0:0" }),
            With(l => l with { User = "1000:0" }),
            With(l => l with { User = "sandbox" }),
            With(l => l with { ReadOnlyRoot = false }),
            With(l => l with { NoNewPrivileges = false }),
            With(l => l with { Capabilities = ["NET_RAW"] }),
        };
        foreach (var refused in weakened)
        {
            await Assert.ThrowsAsync<ArgumentException>(() => Engine.CreateAsync(refused));
        }

        var noImage = spec with { Id = Guid.NewGuid().ToString("N"), Image = "polydev-test/no-such-image:0" };
        await Assert.ThrowsAsync<SandboxEngineException>(() => Engine.CreateAsync(noImage));

        Assert.Empty(await Engine.ListOwnedAsync(Sandboxes.OwnerId));
        foreach (var refused in weakened.Append(noImage))
        {
            Assert.Empty(await Under.TracesAsync(refused.Id));
        }
    }

    [Fact]
    public async Task The_specs_environment_reaches_the_main_process_but_never_the_logs_or_metrics_and_operations_are_counted()
    {
        const string canary = "canary-5d1f0c8e-value";
        var sandbox = await Sandboxes.CreateAsync(Sandboxes.Spec() with { Environment = new Dictionary<string, string> { ["SPEC_CANARY"] = canary } });
        await using (var process = await Engine.ExecAsync(sandbox, new SandboxCommand(["/bin/busybox", "sh", "-c", "echo \"$EXEC_CANARY\""])
        {
            Environment = new Dictionary<string, string> { ["EXEC_CANARY"] = canary + "-exec" },
        }))
        {
            await process.CloseStdinAsync();
            Assert.Equal(canary + "-exec\n", await SandboxTestHarness.ReadAllAsync(process.Stdout, CancellationToken.None));
            Assert.Equal(0, await process.WaitForExitAsync());
        }

        // The main process got the spec's environment (read from /proc/1/environ: an exec does not inherit it), with HOME.
        var environ = await RunAsync(sandbox, "/bin/busybox tr '\\0' '\\n' < /proc/1/environ");
        Assert.Contains("SPEC_CANARY=" + canary, environ.Stdout, StringComparison.Ordinal);
        Assert.Contains("HOME=/home/sandbox", environ.Stdout, StringComparison.Ordinal);

        await Engine.DestroyAsync(sandbox);
        Assert.NotEmpty(Sandboxes.Logs.Text);
        Assert.DoesNotContain("canary", Sandboxes.Logs.Text, StringComparison.Ordinal);

        using var metrics = new MemoryStream();
        await Sandboxes.Registry.CollectAndExportAsTextAsync(metrics);
        var text = Encoding.UTF8.GetString(metrics.ToArray());
        var engine = Engine.Name;
        Assert.Contains($"polydev_sandbox_engine_operations_total{{engine=\"{engine}\",operation=\"create\",outcome=\"ok\"}} 1", text, StringComparison.Ordinal);
        Assert.Contains($"polydev_sandbox_engine_operations_total{{engine=\"{engine}\",operation=\"exec\",outcome=\"ok\"}} 2", text, StringComparison.Ordinal);
        Assert.Contains($"polydev_sandbox_engine_operations_total{{engine=\"{engine}\",operation=\"destroy\",outcome=\"ok\"}} 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("canary", text, StringComparison.Ordinal);
    }
}
