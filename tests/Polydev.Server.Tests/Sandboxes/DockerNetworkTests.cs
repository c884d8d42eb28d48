using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;

namespace Polydev.Server.Tests.Sandboxes;

/// <summary>
/// The sandbox network, shown from inside real sandboxes on a network of this test's own (its own name,
/// bridge, subnet and iptables chain, all removed at the end): only the egress port on the gateway answers.
/// Host services are TCP listeners this test runs; a reached one answers with a line that names it.
/// </summary>
[Collection(DockerSandboxCollection.Name)]
public sealed class DockerNetworkTests : IAsyncLifetime
{
    // A port range of the test's own, below the ephemeral range: the "egress" listener takes a port in it.
    private const int FirstPort = 24001;
    private const int LastPort = 24999;

    private DockerSandboxHarness _docker = null!;
    private DockerClient _client = null!;
    private DockerSandboxNetwork _network = null!;
    private readonly List<TcpListener> _listeners = [];
    private readonly CancellationTokenSource _stop = new();

    public async Task InitializeAsync()
    {
        _docker = await DockerSandboxHarness.StartAsync();
        _client = new DockerClient();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var subnetByte = 200 + Random.Shared.Next(50);
        _network = new DockerSandboxNetwork(_client, new DockerSandboxNetworkOptions(
            Name: "polydev-test-" + suffix,
            BridgeName: "pdt-" + suffix,
            Subnet: $"10.{subnetByte}.{Random.Shared.Next(256)}.0/24",
            EgressFirstPort: FirstPort,
            EgressLastPort: LastPort));
        await _network.EnsureAsync();
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }

        await _docker.DisposeAsync();
        await _network.RemoveAsync();
        _client.Dispose();
    }

    [Fact]
    public async Task The_network_is_internal_without_inter_container_traffic_and_the_rules_are_installed_once()
    {
        var network = (await _client.InspectNetworkAsync(_network.Options.Name))!.Value;
        Assert.True(network.GetProperty("Internal").GetBoolean());
        Assert.Equal("false", network.GetProperty("Options").GetProperty("com.docker.network.bridge.enable_icc").GetString());

        // Again: still one jump of each kind, the same chain.
        await _network.EnsureAsync();
        var chain = _network.Options.Chain;
        Assert.Single((await IptablesAsync("-S INPUT")).Split('\n'), l => l.Contains($"-j {chain}", StringComparison.Ordinal));
        Assert.Equal(2, (await IptablesAsync("-S DOCKER-USER")).Split('\n').Count(l => l.Contains($"-j {chain}", StringComparison.Ordinal)));
        Assert.Equal(
            [$"-N {chain}", $"-A {chain} -d {_network.Options.Gateway}/32 -i {_network.Options.BridgeName} -p tcp -m tcp --dport {FirstPort}:{LastPort} -j ACCEPT", $"-A {chain} -j DROP"],
            (await IptablesAsync($"-S {chain}")).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task The_egress_port_on_the_gateway_is_reachable_and_nothing_else_on_the_host()
    {
        var gateway = _network.Options.Gateway;
        var proxy = Listen(gateway, InRange(), "proxy");
        var everywhereInRange = Listen(IPAddress.Any, InRange(), "any-in-range");
        var hostService = Listen(IPAddress.Any, 0, "host-service");
        var sandbox = await _docker.CreateAsync(_docker.Spec() with { Network = _network.Network });

        Assert.Equal("proxy", await ConnectAsync(sandbox, gateway, proxy));
        Assert.Equal("any-in-range", await ConnectAsync(sandbox, gateway, everywhereInRange));
        Assert.Null(await ConnectAsync(sandbox, gateway, hostService));
        foreach (var address in HostAddresses().Where(a => !a.Equals(gateway)))
        {
            Assert.Null(await ConnectAsync(sandbox, address, everywhereInRange));
            Assert.Null(await ConnectAsync(sandbox, address, hostService));
        }
    }

    [Fact]
    public async Task Docker_alone_lets_a_sandbox_reach_host_services_which_the_rules_stop()
    {
        var gateway = _network.Options.Gateway;
        var hostService = Listen(IPAddress.Any, 0, "host-service");
        var sandbox = await _docker.CreateAsync(_docker.Spec() with { Network = _network.Network });

        await _network.RemoveRulesAsync();
        try
        {
            Assert.Equal("host-service", await ConnectAsync(sandbox, gateway, hostService));
            Assert.DoesNotContain(_network.Options.Chain, await IptablesAsync("-S"), StringComparison.Ordinal);
            await _network.RemoveRulesAsync();
        }
        finally
        {
            await _network.InstallRulesAsync();
        }

        Assert.Null(await ConnectAsync(sandbox, gateway, hostService));
    }

    [Fact]
    public async Task One_sandbox_cannot_reach_another()
    {
        var listener = await _docker.CreateAsync(_docker.Spec() with
        {
            Network = _network.Network,
            Command = ["/bin/busybox", "nc", "-ll", "-p", "5000", "-e", "/bin/busybox", "echo", "sandbox-b"],
        });
        var other = await _docker.CreateAsync(_docker.Spec() with { Network = _network.Network });
        var container = await _client.InspectContainerAsync(listener.EngineId);
        var address = IPAddress.Parse(container.GetProperty("NetworkSettings").GetProperty("Networks").GetProperty(_network.Options.Name).GetProperty("IPAddress").GetString()!);

        // The listener answers inside its own sandbox…
        Assert.Equal("sandbox-b", await ConnectAsync(listener, address, 5000));

        // …but not from the other one.
        Assert.Null(await ConnectAsync(other, address, 5000));
    }

    [Fact]
    public async Task Nothing_outside_is_reachable()
    {
        var sandbox = await _docker.CreateAsync(_docker.Spec() with { Network = _network.Network });
        foreach (var (address, port) in new[] { ("1.1.1.1", 80), ("8.8.8.8", 53), ("172.17.0.1", 22) })
        {
            Assert.Null(await ConnectAsync(sandbox, IPAddress.Parse(address), port));
        }

        var dns = await _docker.RunAsync(sandbox, "/bin/busybox timeout 5 /bin/busybox nslookup example.com");
        Assert.NotEqual(0, dns.Exit);
    }

    private static int InRange()
    {
        for (var port = FirstPort + Random.Shared.Next(LastPort - FirstPort); ; port = FirstPort + Random.Shared.Next(LastPort - FirstPort))
        {
            try
            {
                using var probe = new TcpListener(IPAddress.Any, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }
    }

    // A host service that writes its name and closes each connection.
    private int Listen(IPAddress address, int port, string name)
    {
        var listener = new TcpListener(address, port);
        listener.Start();
        _listeners.Add(listener);
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var client = await listener.AcceptTcpClientAsync(_stop.Token);
                    await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(name + "\n"), _stop.Token);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception)
                {
                }
            }
        });
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // The line the service at address:port sent, or null when the connection failed (dropped or refused).
    private async Task<string?> ConnectAsync(SandboxHandle sandbox, IPAddress address, int port)
    {
        var result = await _docker.RunAsync(sandbox, $"/bin/busybox nc -w 2 {address} {port} </dev/null");
        var line = result.Stdout.Trim();
        return result.Exit == 0 && line.Length > 0 ? line : null;
    }

    private static IEnumerable<IPAddress> HostAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    private static async Task<string> IptablesAsync(string arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("iptables", "-w " + arguments) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
