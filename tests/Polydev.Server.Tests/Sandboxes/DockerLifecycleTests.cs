using System.Text;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Tests.Sandboxes;

/// <summary>Create, exec with streams, list what one owns, destroy: <see cref="Polydev.Server.Sandboxes.Docker.DockerSandboxEngine"/> on the real daemon.</summary>
[Collection(DockerSandboxCollection.Name)]
public sealed class DockerLifecycleTests : IAsyncLifetime
{
    private DockerSandboxHarness _docker = null!;

    public async Task InitializeAsync() => _docker = await DockerSandboxHarness.StartAsync();

    public async Task DisposeAsync() => await _docker.DisposeAsync();

    [Fact]
    public async Task Exec_streams_stdin_to_stdout_keeps_stderr_apart_and_reports_exit_codes()
    {
        var sandbox = await _docker.CreateAsync();

        var echo = await _docker.RunAsync(sandbox, "/bin/busybox cat", stdin: "hello from stdin\n");
        Assert.Equal((0, "hello from stdin\n", ""), echo);

        var mixed = await _docker.RunAsync(sandbox, "echo out; echo err >&2; exit 3");
        Assert.Equal((3, "out\n", "err\n"), mixed);

        // Large enough for many frames both ways: 1 MiB in through stdin, its checksum and size back.
        var big = new string('x', 1 << 20);
        var counted = await _docker.RunAsync(sandbox, "/bin/busybox wc -c", stdin: big);
        Assert.Equal(0, counted.Exit);
        Assert.Equal((1 << 20).ToString(), counted.Stdout.Trim());

        var killed = await _docker.RunAsync(sandbox, "kill -9 $$");
        Assert.Equal(137, killed.Exit);

        var missing = await _docker.RunAsync(sandbox, "exec /bin/no-such-program");
        Assert.Equal(127, missing.Exit);
    }

    [Fact]
    public async Task Cancelling_an_exec_cuts_its_streams()
    {
        var sandbox = await _docker.CreateAsync();
        using var cancel = new CancellationTokenSource();
        await using var process = await _docker.Engine.ExecAsync(sandbox, new SandboxCommand(["/bin/busybox", "sleep", "60"]), cancel.Token);
        var wait = process.WaitForExitAsync();
        await Task.Delay(200);
        Assert.False(wait.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Destroy_removes_the_sandbox_and_is_idempotent()
    {
        var sandbox = await _docker.CreateAsync();
        Assert.Equal(SandboxEngineState.Running, (await _docker.Engine.InspectAsync(sandbox))!.State);

        await _docker.Engine.DestroyAsync(sandbox);
        Assert.Null(await _docker.Engine.InspectAsync(sandbox));
        await _docker.Engine.DestroyAsync(sandbox);
        await _docker.Engine.DestroyAsync(new SandboxHandle("never", "0000000000000000000000000000000000000000000000000000000000000000", "polydev-never"));
        Assert.Empty(await _docker.Engine.ListOwnedAsync(_docker.OwnerId));
    }

    [Fact]
    public async Task List_owned_finds_exactly_this_servers_sandboxes_by_label()
    {
        await using var other = await DockerSandboxHarness.StartAsync();
        var first = await _docker.CreateAsync(_docker.Spec("claude", "v7"));
        var second = await _docker.CreateAsync(_docker.Spec("gemini", "v8"));
        var foreign = await other.CreateAsync();

        var mine = await _docker.Engine.ListOwnedAsync(_docker.OwnerId);
        Assert.Equal(new[] { first.EngineId, second.EngineId }.Order(), mine.Select(s => s.Handle.EngineId).Order());
        var listed = mine.Single(s => s.Handle.EngineId == first.EngineId);
        Assert.Equal(first, listed.Handle);
        Assert.Equal(("claude", "v7", _docker.OwnerId, SandboxEngineState.Running), (listed.Runtime, listed.ImageVersion, listed.OwnerServerId, listed.State));
        Assert.Equal("warming", listed.Labels[SandboxLabels.State]);
        Assert.Equal("gemini", mine.Single(s => s.Handle.EngineId == second.EngineId).Runtime);

        var theirs = await other.Engine.ListOwnedAsync(other.OwnerId);
        Assert.Equal(foreign.EngineId, Assert.Single(theirs).Handle.EngineId);

        // A sandbox whose main process has ended is still listed, so a reconciler removes it.
        await _docker.Client.RemoveContainerAsync(second.EngineId);
        await _docker.RunAsync(first, "kill -9 1 || true");
        var after = await _docker.Engine.ListOwnedAsync(_docker.OwnerId);
        Assert.Equal(first.EngineId, Assert.Single(after).Handle.EngineId);
    }

    [Fact]
    public async Task Specs_that_would_weaken_a_rule_are_refused_and_engine_errors_carry_the_daemons_message()
    {
        var spec = _docker.Spec();
        await Assert.ThrowsAsync<ArgumentException>(() => _docker.Engine.CreateAsync(spec with { Limits = spec.Limits with { User = "0:0" } }));
        await Assert.ThrowsAsync<ArgumentException>(() => _docker.Engine.CreateAsync(spec with { Limits = spec.Limits with { User = "sandbox" } }));
        await Assert.ThrowsAsync<ArgumentException>(() => _docker.Engine.CreateAsync(spec with { Limits = spec.Limits with { ReadOnlyRoot = false } }));
        await Assert.ThrowsAsync<ArgumentException>(() => _docker.Engine.CreateAsync(spec with { Limits = spec.Limits with { Capabilities = ["NET_RAW"] } }));

        var missing = await Assert.ThrowsAsync<SandboxEngineException>(() => _docker.Engine.CreateAsync(spec with { Image = "polydev-test/no-such-image:0" }));
        Assert.Equal(404, missing.Status);
        Assert.Contains("no such image", missing.Detail, StringComparison.OrdinalIgnoreCase);

        Assert.Empty(await _docker.Engine.ListOwnedAsync(_docker.OwnerId));

        // A main process that cannot start (the init starts, then fails to run it): the sandbox shows as exited.
        var broken = await _docker.Engine.CreateAsync(spec with { Command = ["/bin/not-there"] });
        var status = await _docker.Engine.InspectAsync(broken);
        for (var i = 0; i < 100 && status!.State != SandboxEngineState.Exited; i++)
        {
            await Task.Delay(50);
            status = await _docker.Engine.InspectAsync(broken);
        }

        Assert.Equal(SandboxEngineState.Exited, status!.State);
        Assert.NotEqual(0, status.ExitCode);
        Assert.Equal(SandboxEngineState.Exited, Assert.Single(await _docker.Engine.ListOwnedAsync(_docker.OwnerId)).State);
        Assert.Contains("sandbox_create_failed", _docker.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_values_reach_the_process_but_never_the_logs_and_operations_are_counted()
    {
        const string canary = "canary-5d1f0c8e-value";
        var spec = _docker.Spec() with { Environment = new Dictionary<string, string> { ["SPEC_CANARY"] = canary } };
        var sandbox = await _docker.CreateAsync(spec);
        await using (var process = await _docker.Engine.ExecAsync(sandbox, new SandboxCommand(["/bin/busybox", "sh", "-c", "echo \"$EXEC_CANARY\""])
        {
            Environment = new Dictionary<string, string> { ["EXEC_CANARY"] = canary + "-exec" },
        }))
        {
            await process.CloseStdinAsync();
            Assert.Equal(canary + "-exec\n", await DockerSandboxHarness.ReadAllAsync(process.Stdout, CancellationToken.None));
            Assert.Equal(0, await process.WaitForExitAsync());
        }

        // The main process got the spec's environment (read from /proc/1/environ: the exec does not inherit it).
        var environ = await _docker.RunAsync(sandbox, "/bin/busybox tr '\\0' '\\n' < /proc/1/environ");
        Assert.Contains("SPEC_CANARY=" + canary, environ.Stdout, StringComparison.Ordinal);
        Assert.Contains("HOME=/home/sandbox", environ.Stdout, StringComparison.Ordinal);

        await _docker.Engine.DestroyAsync(sandbox);
        Assert.Contains("sandbox_created", _docker.Logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("canary", _docker.Logs.Text, StringComparison.Ordinal);

        using var metrics = new MemoryStream();
        await _docker.Registry.CollectAndExportAsTextAsync(metrics);
        var text = Encoding.UTF8.GetString(metrics.ToArray());
        Assert.Contains("polydev_sandbox_engine_operations_total{engine=\"docker\",operation=\"create\",outcome=\"ok\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("polydev_sandbox_engine_operations_total{engine=\"docker\",operation=\"exec\",outcome=\"ok\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("polydev_sandbox_engine_operations_total{engine=\"docker\",operation=\"destroy\",outcome=\"ok\"} 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("canary", text, StringComparison.Ordinal);
    }
}
