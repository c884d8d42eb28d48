using System.Net;
using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>
/// Everything <see cref="SandboxEngineConformance"/> needs to know about one engine, and nothing more: how to make
/// the engine, the network its sandboxes join, the image, and two views only the engine's host has (what a sandbox
/// leaves behind; a service outside the sandbox network). One subclass per engine, used as the xunit class fixture
/// of that engine's conformance class: set up once per class (<see cref="IAsyncLifetime.InitializeAsync"/>), torn
/// down after it.
/// </summary>
/// <remarks>
/// The image must be a small Linux root file system with a static busybox at <c>/bin/busybox</c> (the suite's
/// programs are busybox applets: sh, nc, dd, ip, kill …) and an <c>/etc/passwd</c> with the sandbox user, as
/// <see cref="Polydev.Testing.SandboxTestImage"/> builds it.
/// </remarks>
public abstract class SandboxEngineUnderTest : IAsyncLifetime
{
    /// <summary>The engine's image reference of the busybox test image; valid after <see cref="IAsyncLifetime.InitializeAsync"/>.</summary>
    public abstract string Image { get; }

    /// <summary>
    /// A new engine instance on the same backend. Called once per test, and again to play "the server restarted":
    /// the new instance shares no memory with the old one, only what the backend keeps.
    /// </summary>
    public abstract ISandboxEngine CreateEngine(SandboxEngineMetrics metrics, ILoggerFactory loggers);

    /// <summary>The network of this class's sandboxes (ready after <see cref="IAsyncLifetime.InitializeAsync"/>), its own, removed at the end.</summary>
    public abstract SandboxNetwork Network { get; }

    /// <summary>The address at which a sandbox on <see cref="Network"/> reaches the egress proxy.</summary>
    public abstract IPAddress EgressAddress { get; }

    /// <summary>
    /// Where a host listener binds to be reached at <see cref="EgressAddress"/> (the same address on a single host;
    /// another one where the engine forwards).
    /// </summary>
    public virtual IPAddress EgressBindAddress => EgressAddress;

    /// <summary>The TCP ports the egress proxy may listen on: a sandbox may connect to these at <see cref="EgressAddress"/>, nowhere else.</summary>
    public abstract (int First, int Last) EgressPorts { get; }

    /// <summary>
    /// A service of the test's own outside the sandbox network, at an internet-shaped (non-private) address, which
    /// the test host reaches and a sandbox must not. It answers each connection with the line <paramref name="name"/>.
    /// </summary>
    public abstract Task<IPEndPoint> StartOutsideServiceAsync(string name);

    /// <summary>
    /// What the backend still keeps for a sandbox (by <see cref="SandboxSpec.Id"/>), in words, e.g.
    /// <c>container 3f2a…</c>, <c>scratch disk /var/lib/…</c>, <c>volume …</c>: not empty while it lives, empty once it
    /// is destroyed (or was never made). Asked of the backend itself (for Docker: the daemon's container list and the
    /// host's file systems), not of the engine under test.
    /// </summary>
    public abstract Task<IReadOnlyList<string>> TracesAsync(string sandboxId);

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();
}
