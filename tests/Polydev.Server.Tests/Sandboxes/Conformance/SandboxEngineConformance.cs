using System.Net;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>
/// What every <see cref="ISandboxEngine"/> must do, shown from inside real sandboxes: the isolation rules of
/// ARCHITECTURE.md ("Sandboxes"), processes and their streams, and the lifecycle a server relies on across restarts.
/// An engine passes by subclassing this class with its <see cref="SandboxEngineUnderTest"/> as the class fixture and
/// nothing else (<see cref="DockerEngineConformance"/>); each test runs a misbehaving program and checks what the
/// kernel and the engine did to it.
/// </summary>
public abstract partial class SandboxEngineConformance(SandboxEngineUnderTest under) : IAsyncLifetime
{
    protected SandboxEngineUnderTest Under { get; } = under;

    /// <summary>This test's engine instance and owner id; disposed (every owned sandbox destroyed) after each test.</summary>
    protected SandboxTestHarness Sandboxes { get; private set; } = null!;

    protected ISandboxEngine Engine => Sandboxes.Engine;

    public Task InitializeAsync()
    {
        Sandboxes = new SandboxTestHarness(Under.CreateEngine, Under.Image);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Sandboxes.DisposeAsync();

    private Task<(int Exit, string Stdout, string Stderr)> RunAsync(SandboxHandle sandbox, string script, string? stdin = null, TimeSpan? timeout = null) =>
        Sandboxes.RunAsync(sandbox, script, stdin, timeout);

    /// <summary>The spec of a sandbox on this class's network.</summary>
    private SandboxSpec Networked() => Sandboxes.Spec() with { Network = Under.Network };

    private Task<string?> ConnectAsync(SandboxHandle sandbox, IPAddress address, int port) => Sandboxes.ConnectAsync(sandbox, address, port);

    /// <summary>The sandbox's IPv4 address on its network, as it sees it.</summary>
    private async Task<IPAddress> AddressInsideAsync(SandboxHandle sandbox)
    {
        var result = await RunAsync(sandbox, "/bin/busybox ip -o -4 addr");
        var address = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(words => words.SkipWhile(w => w != "inet").Skip(1).FirstOrDefault())
            .OfType<string>()
            .Select(cidr => IPAddress.Parse(cidr.Split('/')[0]))
            .Single(a => !IPAddress.IsLoopback(a));
        return address;
    }
}
