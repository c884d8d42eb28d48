using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Docker.HostOperations;
using Prometheus;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>
/// The Docker engine as an unprivileged server runs it: every root operation (firewall, scratch disks, the resolver
/// rule, CPU burst, OOM count) asked of a <see cref="DockerHelper"/> over a Unix socket of its own, which admits the
/// network of the class and checks each request as <c>polydev docker-helper</c> does.
/// </summary>
public sealed class DockerHelperEngineUnderTest : DockerEngineUnderTest
{
    private readonly string _directory = Directory.CreateTempSubdirectory("polydev-docker-helper-").FullName;
    private Socket? _listener;
    private CancellationTokenSource? _serving;
    private Task _served = Task.CompletedTask;

    /// <summary>The helper's own series: what it served, by operation and outcome.</summary>
    public CollectorRegistry HelperRegistry { get; } = Metrics.NewCustomRegistry();

    protected override async Task<IDockerHostOperations> HostForAsync(DockerSandboxNetworkOptions network)
    {
        await StopServingAsync();
        var path = Path.Combine(_directory, $"helper-{Guid.NewGuid():N}.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(64);
        var helper = new DockerHelper(new LocalHostOperations(), network, new HelperMetrics(HelperRegistry, HelperMetrics.Served), NullLogger<DockerHelper>.Instance);
        _serving = new CancellationTokenSource();
        _served = helper.ServeAsync(_listener, _serving.Token);
        return new HelperHostOperations(path, new HelperMetrics(Metrics.NewCustomRegistry(), HelperMetrics.Client));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await StopServingAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task StopServingAsync()
    {
        if (_serving is null)
        {
            return;
        }

        await _serving.CancelAsync();
        await _served;
        _listener!.Dispose();
        _serving.Dispose();
        _serving = null;
    }
}
