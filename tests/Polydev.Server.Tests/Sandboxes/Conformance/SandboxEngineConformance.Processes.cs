using System.Globalization;
using System.Security.Cryptography;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>Processes in a sandbox: their three streams both ways, end-of-file, exit codes, kill and cancellation.</summary>
public abstract partial class SandboxEngineConformance
{
    [Fact]
    public async Task Exec_streams_stdin_to_stdout_keeps_stderr_apart_and_reports_exit_codes()
    {
        var sandbox = await Sandboxes.CreateAsync();

        Assert.Equal((0, "hello from stdin\n", ""), await RunAsync(sandbox, "/bin/busybox cat", stdin: "hello from stdin\n"));
        Assert.Equal((3, "out\n", "err\n"), await RunAsync(sandbox, "echo out; echo err >&2; exit 3"));
        Assert.Equal(127, (await RunAsync(sandbox, "exec /bin/no-such-program")).Exit);

        // The command's environment reaches it.
        await using var process = await Engine.ExecAsync(sandbox, new SandboxCommand(["/bin/busybox", "sh", "-c", "echo \"$GREETING\""])
        {
            Environment = new Dictionary<string, string> { ["GREETING"] = "hi there" },
        });
        await process.CloseStdinAsync();
        Assert.Equal("hi there\n", await SandboxTestHarness.ReadAllAsync(process.Stdout, CancellationToken.None));
        Assert.Equal(0, await process.WaitForExitAsync());
    }

    [Fact]
    public async Task Large_binary_payloads_flow_both_ways_at_once_and_end_of_file_ends_the_process()
    {
        var sandbox = await Sandboxes.CreateAsync();
        var payload = RandomNumberGenerator.GetBytes(4 << 20);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // Every byte comes back on stdout and again on stderr: an engine that reads one stream only, or buffers
        // without bound, stalls here.
        await using var process = await Engine.ExecAsync(sandbox, new SandboxCommand(["/bin/busybox", "sh", "-c", "/bin/busybox tee /dev/stderr"]), cancel.Token);
        var stdout = ReadBytesAsync(process.Stdout, cancel.Token);
        var stderr = ReadBytesAsync(process.Stderr, cancel.Token);
        for (var offset = 0; offset < payload.Length; offset += 64 << 10)
        {
            await process.Stdin.WriteAsync(payload.AsMemory(offset, 64 << 10), cancel.Token);
        }

        await process.Stdin.FlushAsync(cancel.Token);

        // Still running: tee waits for more until end-of-file.
        await Task.Delay(300, cancel.Token);
        Assert.False(process.OutputCompletion.IsCompleted, "the process ended before its stdin did");
        await process.CloseStdinAsync();

        Assert.Equal(0, await process.WaitForExitAsync(cancel.Token));
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(await stdout));
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(await stderr));
    }

    [Theory]
    [InlineData("KILL", 137)]
    [InlineData("TERM", 143)]
    public async Task Killing_the_process_ends_its_streams_and_reports_the_signal(string signal, int exitCode)
    {
        var sandbox = await Sandboxes.CreateAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var process = await Engine.ExecAsync(sandbox, new SandboxCommand(["/bin/busybox", "sh", "-c", "echo $$; exec /bin/busybox sleep 60"]), cancel.Token);
        using var reader = new StreamReader(process.Stdout);
        var pid = int.Parse((await reader.ReadLineAsync(cancel.Token))!, CultureInfo.InvariantCulture);
        var stderr = SandboxTestHarness.ReadAllAsync(process.Stderr, cancel.Token);
        var wait = process.WaitForExitAsync(cancel.Token);
        await Task.Delay(200, cancel.Token);
        Assert.False(wait.IsCompleted);

        Assert.Equal(0, (await RunAsync(sandbox, $"kill -{signal} {pid}")).Exit);
        Assert.Equal(exitCode, await wait);
        Assert.Equal("", await reader.ReadToEndAsync(cancel.Token));
        Assert.Equal("", await stderr);
        await process.OutputCompletion.WaitAsync(TimeSpan.FromSeconds(5));

        // The sandbox itself is unharmed.
        Assert.Equal(SandboxEngineState.Running, (await Engine.InspectAsync(sandbox))!.State);
    }

    [Fact]
    public async Task Cancelling_an_exec_cuts_its_streams()
    {
        var sandbox = await Sandboxes.CreateAsync();
        using var cancel = new CancellationTokenSource();
        await using var process = await Engine.ExecAsync(sandbox, new SandboxCommand(["/bin/busybox", "sleep", "60"]), cancel.Token);
        var wait = process.WaitForExitAsync();
        await Task.Delay(200);
        Assert.False(wait.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(5)));

        // Its output has ended (cut, so possibly as a failure), and reading it ends too.
        await Task.WhenAny(process.OutputCompletion, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(process.OutputCompletion.IsCompleted, "cancelling did not end the process's output");
        var read = process.Stdout.ReadAsync(new byte[1]).AsTask();
        await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(read.IsCompleted, "reading stdout still waits after the cut");
        Assert.True(!read.IsCompletedSuccessfully || await read == 0, "stdout still delivers after the cut");
    }

    private static async Task<byte[]> ReadBytesAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
