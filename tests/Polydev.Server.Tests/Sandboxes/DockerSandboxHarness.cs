using System.Text;
using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Tests.Infrastructure;
using Polydev.Testing;
using Prometheus;

namespace Polydev.Server.Tests.Sandboxes;

/// <summary>
/// A <see cref="DockerSandboxEngine"/> on the real daemon (scripts/test starts it) with its own owner
/// server id, metrics registry and captured logs, and the busybox test image imported once per run.
/// Disposing it destroys every sandbox its owner id owns, whatever the test did.
/// </summary>
public sealed class DockerSandboxHarness : IAsyncDisposable
{
    private static readonly SemaphoreSlim ImageGate = new(1, 1);
    private static bool _imageReady;

    private readonly ILoggerFactory _loggers;

    private DockerSandboxHarness(DockerClient client, ILoggerFactory loggers, CapturedLogs logs, CollectorRegistry registry)
    {
        Client = client;
        _loggers = loggers;
        Logs = logs;
        Registry = registry;
        Metrics = new SandboxEngineMetrics(registry);
        Engine = new DockerSandboxEngine(client, Metrics, loggers.CreateLogger<DockerSandboxEngine>());
    }

    public DockerClient Client { get; }

    public DockerSandboxEngine Engine { get; }

    public SandboxEngineMetrics Metrics { get; }

    public CapturedLogs Logs { get; }

    public CollectorRegistry Registry { get; }

    /// <summary>Unique per harness, so parallel test classes never see each other's sandboxes.</summary>
    public string OwnerId { get; } = "test-" + Guid.NewGuid().ToString("N")[..12];

    public static async Task<DockerSandboxHarness> StartAsync()
    {
        var client = new DockerClient();
        if (!await client.PingAsync())
        {
            client.Dispose();
            throw new InvalidOperationException($"No Docker engine answers on {DockerClient.DefaultSocket}. Run the tests through scripts/test, which installs docker.io and starts dockerd (scripts/lib/docker.sh).");
        }

        await ImageGate.WaitAsync();
        try
        {
            if (!_imageReady)
            {
                if (await client.InspectImageAsync(SandboxTestImage.Reference) is null)
                {
                    using var tarball = SandboxTestImage.BuildTarball();
                    await client.ImportImageAsync(tarball, SandboxTestImage.Repository, SandboxTestImage.Tag);
                }

                _imageReady = true;
            }
        }
        finally
        {
            ImageGate.Release();
        }

        var logs = new CapturedLogs();
        var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        return new DockerSandboxHarness(client, loggers, logs, new CollectorRegistry());
    }

    /// <summary>A spec for the test image whose main process sleeps, owned by this harness.</summary>
    public SandboxSpec Spec(string runtime = "claude", string imageVersion = "test-1") =>
        new(SandboxTestImage.Reference, runtime, imageVersion, OwnerId)
        {
            Command = ["/bin/busybox", "sleep", "3600"],
        };

    public Task<SandboxHandle> CreateAsync(SandboxSpec? spec = null) => Engine.CreateAsync(spec ?? Spec());

    /// <summary>Runs a command to its end; returns exit code, stdout and stderr.</summary>
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
            Client.Dispose();
        }
    }
}
