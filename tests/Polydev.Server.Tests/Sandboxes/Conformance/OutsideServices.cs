using System.Net;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>
/// Services of the test's own outside any sandbox network (<see cref="SandboxEngineUnderTest.StartOutsideServiceAsync"/>):
/// each a busybox listener in a plain Docker network on a benchmarking-range subnet (198.18.0.0/15), which the test
/// host reaches and a sandbox must not. Disposing removes them.
/// </summary>
public sealed class OutsideServices(string image) : IAsyncDisposable
{
    private readonly List<string> _containers = [];
    private readonly List<string> _networks = [];

    public async Task<IPEndPoint> StartAsync(string name)
    {
        var network = "polydev-test-outside-" + Guid.NewGuid().ToString("N")[..8];
        for (var attempt = 1; ; attempt++)
        {
            var subnet = $"198.{18 + Random.Shared.Next(2)}.{Random.Shared.Next(256)}.0/24";
            var (exit, _, error) = await DockerEngineUnderTest.DockerCliAsync("network", "create", "--subnet", subnet, network);
            if (exit == 0)
            {
                _networks.Add(network);
                break;
            }

            if (attempt == 5)
            {
                throw new InvalidOperationException($"docker network create {network} failed: {error}");
            }
        }

        var container = await DockerEngineUnderTest.DockerAsync("run", "-d", "--network", network, "--label", "dev.polydev.test=conformance", image,
            "/bin/busybox", "nc", "-ll", "-p", "7000", "-e", "/bin/busybox", "echo", name);
        _containers.Add(container.Trim());
        var address = await DockerEngineUnderTest.DockerAsync("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container.Trim());
        var endpoint = new IPEndPoint(IPAddress.Parse(address.Trim()), 7000);
        for (var i = 0; i < 50; i++)
        {
            try
            {
                if (await HostServices.ReadLineFromHostAsync(endpoint) == name)
                {
                    break;
                }
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
            {
                await Task.Delay(100);
            }
        }

        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var container in _containers)
        {
            await DockerEngineUnderTest.DockerCliAsync("rm", "-f", container);
        }

        foreach (var network in _networks)
        {
            await DockerEngineUnderTest.DockerCliAsync("network", "rm", network);
        }
    }
}
