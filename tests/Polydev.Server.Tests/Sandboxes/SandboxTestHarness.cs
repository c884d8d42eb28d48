using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes;
using Polydev.Server.Tests.Infrastructure;
using Prometheus;

namespace Polydev.Server.Tests.Sandboxes;

/// <summary>
/// One test's view of a sandbox engine: an engine instance with its own owner server id, metrics registry and
/// captured logs, specs for the test image, and commands run to their end. Disposing it destroys every sandbox its
/// owner id owns, whatever the test did. Engine-neutral: the engine comes from a factory
/// (<see cref="Conformance.SandboxEngineUnderTest.CreateEngine"/>).
/// </summary>
public sealed class SandboxTestHarness : IAsyncDisposable
{
    private readonly Func<SandboxEngineMetrics, ILoggerFactory, ISandboxEngine> _createEngine;
    private readonly ILoggerFactory _loggers;
    private readonly string _image;

    public SandboxTestHarness(Func<SandboxEngineMetrics, ILoggerFactory, ISandboxEngine> createEngine, string image)
    {
        _createEngine = createEngine;
        _image = image;
        _loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(Logs));
        Metrics = new SandboxEngineMetrics(Registry);
        Engine = createEngine(Metrics, _loggers);
    }

    public ISandboxEngine Engine { get; }

    public SandboxEngineMetrics Metrics { get; }

    public CapturedLogs Logs { get; } = new();

    public CollectorRegistry Registry { get; } = new();

    /// <summary>Unique per harness, so parallel test classes never see each other's sandboxes.</summary>
    public string OwnerId { get; } = "test-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>"The server restarted": a new engine instance from the same factory, sharing nothing with <see cref="Engine"/> but the backend.</summary>
    public ISandboxEngine NewEngineInstance() => _createEngine(new SandboxEngineMetrics(new CollectorRegistry()), _loggers);

    /// <summary>A spec for the test image whose main process sleeps, owned by this harness.</summary>
    public SandboxSpec Spec(string runtime = "claude", string imageVersion = "test-1") =>
        new(_image, runtime, imageVersion, OwnerId)
        {
            Command = ["/bin/busybox", "sleep", "3600"],
        };

    public Task<SandboxHandle> CreateAsync(SandboxSpec? spec = null) => Engine.CreateAsync(spec ?? Spec());

    /// <summary>Runs a busybox shell script to its end; returns exit code, stdout and stderr.</summary>
    public async Task<(int Exit, string Stdout, string Stderr)> RunAsync(SandboxHandle sandbox, string shellScript, string? stdin = null, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        await using var process = await Engine.ExecAsync(sandbox, new SandboxCommand(["/bin/busybox", "sh", "-c", shellScript]), cancel.Token);
        var stdout = ReadAllAsync(process.Stdout, cancel.Token);
        var stderr = ReadAllAsync(process.Stderr, cancel.Token);
        if (stdin is not null)
        {
            await process.Stdin.WriteAsync(Encoding.UTF8.GetBytes(stdin), cancel.Token);
        }

        await process.CloseStdinAsync();
        var exit = await process.WaitForExitAsync(cancel.Token);
        return (exit, await stdout, await stderr);
    }

    /// <summary>The line the service at address:port sends a sandbox, or null when the connection failed (dropped, refused or unreachable).</summary>
    public async Task<string?> ConnectAsync(SandboxHandle sandbox, IPAddress address, int port)
    {
        var result = await RunAsync(sandbox, $"/bin/busybox nc -w 3 {address} {port} </dev/null");
        var line = result.Stdout.Trim();
        return result.Exit == 0 && line.Length > 0 ? line : null;
    }

    /// <summary>Polls <see cref="ISandboxEngine.InspectAsync"/> until <paramref name="done"/> holds (or 15 s pass); returns the last status.</summary>
    public async Task<SandboxStatus?> InspectUntilAsync(SandboxHandle sandbox, Func<SandboxStatus?, bool> done)
    {
        var status = await Engine.InspectAsync(sandbox);
        for (var i = 0; i < 150 && !done(status); i++)
        {
            await Task.Delay(100);
            status = await Engine.InspectAsync(sandbox);
        }

        return status;
    }

    public static async Task<string> ReadAllAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var sandbox in await Engine.ListOwnedAsync(OwnerId))
            {
                await Engine.DestroyAsync(sandbox.Handle);
            }
        }
        finally
        {
            _loggers.Dispose();
        }
    }
}
