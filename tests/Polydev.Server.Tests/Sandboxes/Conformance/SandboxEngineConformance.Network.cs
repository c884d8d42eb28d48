using System.Net;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>
/// The network: from a sandbox, the egress address on an egress port answers and nothing else does — no other port
/// or address of the host, not its loopback, nothing outside, no other sandbox. Every target is on this host
/// (its own listeners, its own containers); nothing is sent anywhere else.
/// </summary>
public abstract partial class SandboxEngineConformance
{
    [Fact]
    public async Task Only_the_egress_address_on_an_egress_port_is_reachable()
    {
        await using var host = new HostServices();
        var (first, last) = Under.EgressPorts;
        var egress = host.Listen(Under.EgressBindAddress, HostServices.FreePort(first, last), "egress");
        var everywhereInRange = host.Listen(IPAddress.Any, HostServices.FreePort(first, last), "any-in-range");
        var otherPort = host.Listen(IPAddress.Any, 0, "host-service");
        var loopback = host.Listen(IPAddress.Loopback, HostServices.FreePort(first, last), "host-loopback");
        var outside = await Under.StartOutsideServiceAsync("outside");
        Assert.Equal("outside", await HostServices.ReadLineFromHostAsync(outside));
        var sandbox = await Sandboxes.CreateAsync(Networked());

        Assert.Equal("egress", await ConnectAsync(sandbox, Under.EgressAddress, egress));
        Assert.Equal("any-in-range", await ConnectAsync(sandbox, Under.EgressAddress, everywhereInRange));

        // All at once: a dropped connection costs its whole timeout.
        var forbidden = new List<(string What, Task<string?> Answer)>
        {
            ($"the egress address on port {otherPort}", ConnectAsync(sandbox, Under.EgressAddress, otherPort)),
            ($"loopback port {loopback}", ConnectAsync(sandbox, IPAddress.Loopback, loopback)),
            ($"the outside service {outside}", ConnectAsync(sandbox, outside.Address, outside.Port)),
        };
        foreach (var address in HostServices.HostAddresses().Where(a => !a.Equals(Under.EgressAddress)))
        {
            forbidden.Add(($"host address {address} port {everywhereInRange}", ConnectAsync(sandbox, address, everywhereInRange)));
            forbidden.Add(($"host address {address} port {otherPort}", ConnectAsync(sandbox, address, otherPort)));
        }

        var answers = await Task.WhenAll(forbidden.Select(f => f.Answer));
        var reached = forbidden.Zip(answers).Where(p => p.Second is not null).Select(p => $"{p.First.What} ({p.Second})").ToList();
        Assert.True(reached.Count == 0, "a sandbox reached " + string.Join(", ", reached));
    }

    [Fact]
    public async Task One_sandbox_cannot_reach_another_on_the_same_network()
    {
        SandboxSpec Listening(string name) => Networked() with { Command = ["/bin/busybox", "nc", "-ll", "-p", "5000", "-e", "/bin/busybox", "echo", name] };
        var a = await Sandboxes.CreateAsync(Listening("sandbox-a"));
        var b = await Sandboxes.CreateAsync(Listening("sandbox-b"));
        var addressOfA = await AddressInsideAsync(a);
        var addressOfB = await AddressInsideAsync(b);

        // Each listener answers at its address inside its own sandbox…
        Assert.Equal("sandbox-a", await ConnectAsync(a, addressOfA, 5000));
        Assert.Equal("sandbox-b", await ConnectAsync(b, addressOfB, 5000));

        // …but neither from the other.
        var crossed = await Task.WhenAll(ConnectAsync(a, addressOfB, 5000), ConnectAsync(b, addressOfA, 5000));
        Assert.All(crossed, Assert.Null);
    }

    /// <summary>
    /// Issue 13, finding 5: Docker's embedded resolver (127.0.0.11) told one sandbox the address of another by its
    /// name or id. No resolver a sandbox can reach may answer for another sandbox, asked by default or directly.
    /// </summary>
    [Fact]
    public async Task One_sandbox_cannot_resolve_another_by_name_or_id()
    {
        var a = await Sandboxes.CreateAsync(Networked());
        var b = await Sandboxes.CreateAsync(Networked());
        var addressOfB = await AddressInsideAsync(b);
        // All at once: where no resolver answers (the Nomad stand-in), each lookup waits out its 5 s.
        var lookups = await Task.WhenAll(
            from name in new[] { b.Name, b.EngineId[..12], b.Id }
            from server in new[] { "", " 127.0.0.11" }
            select RunAsync(a, $"/bin/busybox timeout 5 /bin/busybox nslookup {name}{server}"));
        foreach (var lookup in lookups)
        {
            Assert.DoesNotContain(addressOfB.ToString(), lookup.Stdout + lookup.Stderr, StringComparison.Ordinal);
            Assert.NotEqual(0, lookup.Exit);
        }
    }

    /// <summary>The address an execution's egress token is bound to (issue 13, finding 2) is the one the sandbox has.</summary>
    [Fact]
    public async Task Create_reports_the_address_the_sandbox_has_on_its_network()
    {
        var networked = await Sandboxes.CreateAsync(Networked());
        Assert.NotNull(networked.Address);
        Assert.Equal(await AddressInsideAsync(networked), networked.Address);

        var isolated = await Sandboxes.CreateAsync(Sandboxes.Spec() with { Network = SandboxNetwork.None });
        Assert.Null(isolated.Address);
    }

    [Fact]
    public async Task A_sandbox_without_a_network_has_only_loopback()
    {
        var sandbox = await Sandboxes.CreateAsync(Sandboxes.Spec() with { Network = SandboxNetwork.None });
        var interfaces = await RunAsync(sandbox, "/bin/busybox ip -o -4 addr");
        Assert.Equal(["127.0.0.1/8"], interfaces.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(w => w != "inet").Skip(1).First()));
        Assert.Null(await ConnectAsync(sandbox, Under.EgressAddress, Under.EgressPorts.First));
    }
}
