namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// Whether the kernel's OOM killer struck in a running sandbox, read from its memory cgroup's own count
/// (<c>memory.events</c> on cgroup v2, <c>memory.oom_control</c> on v1) by a short exec. Nomad reports an OOM kill
/// only when it ends the task's main process; the Docker engine reads the daemon's flag instead.
/// </summary>
internal static class NomadOomProbe
{
    private const string Script =
        "f=/sys/fs/cgroup/memory.events; [ -r $f ] || f=/sys/fs/cgroup/memory/memory.oom_control; " +
        "while read k v; do [ \"$k\" = oom_kill ] && echo $v; done < $f";

    /// <summary>True or false from the count; null when the sandbox did not answer (its node may be gone).</summary>
    public static async Task<bool?> ReadAsync(ISandboxEngine engine, SandboxHandle sandbox, CancellationToken cancellationToken)
    {
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(10));
            await using var process = await engine.ExecAsync(sandbox, new SandboxCommand(["/bin/sh", "-c", Script]), limit.Token);
            await process.CloseStdinAsync();
            using var reader = new StreamReader(process.Stdout);
            var stderr = process.Stderr.CopyToAsync(Stream.Null, limit.Token);
            var count = (await reader.ReadToEndAsync(limit.Token)).Trim();
            await stderr;
            await process.WaitForExitAsync(limit.Token);
            return long.TryParse(count, out var kills) && kills > 0;
        }
        catch (Exception e) when (e is SandboxEngineException or OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException)
        {
            return null;
        }
    }
}
