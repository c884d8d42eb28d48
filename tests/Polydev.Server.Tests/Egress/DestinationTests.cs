using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Numerics;
using Microsoft.Extensions.Time.Testing;
using Polydev.Server.Egress.Proxy;
using Polydev.Testing;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// Issue 13, finding 3: the block-list missed the host's own addresses, 6to4, Teredo and more of the IANA
/// special-purpose ranges, and nothing showed that the address judged is the address dialled when DNS answers change.
/// </summary>
public sealed class DestinationTests(TargetFixture fixture) : IClassFixture<TargetFixture>
{
    private HttpsTarget Target => fixture.Target;

    public static TheoryData<string, string> Ranges()
    {
        var data = new TheoryData<string, string>();
        foreach (var (network, kind) in DestinationPolicy.Blocked)
        {
            data.Add(network.ToString(), kind);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Ranges))]
    public void Both_edges_of_every_special_purpose_range_are_refused_and_the_neighbours_outside_are_judged_on_their_own(string range, string kind)
    {
        var policy = new DestinationPolicy([], null);
        var network = IPNetwork.Parse(range);
        var (first, last) = Edges(network);
        Assert.NotNull(policy.Refusal(first));
        Assert.NotNull(policy.Refusal(last));
        Assert.Contains(DestinationPolicy.Blocked, b => b.Kind == kind && b.Network.Contains(first));

        // Just outside: refused only when another listed range covers it. (Addresses that carry an IPv4 address are
        // judged by it, which Addresses_that_carry_another_address_are_judged_by_it covers.)
        foreach (var outside in new[] { Step(first, -1), Step(last, +1) }.OfType<IPAddress>().Where(a => !CarriesIPv4(a)))
        {
            var covered = DestinationPolicy.Blocked.Any(b => b.Network.Contains(outside));
            Assert.True(covered == policy.Refusal(outside) is not null, $"{outside} next to {range}: refusal '{policy.Refusal(outside)}'");
        }
    }

    [Theory]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("::ffff:169.254.169.254", "link-local")]
    [InlineData("64:ff9b::a00:1", "private")]
    [InlineData("64:ff9b::7f00:1", "loopback")]
    [InlineData("64:ff9b:1::a9fe:a9fe", "link-local")]
    [InlineData("::10.0.0.1", "private")]
    [InlineData("2002:a00:1::1", "6to4")]
    [InlineData("2002:808:808::1", "6to4")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo")]
    [InlineData("2001:db8::1", "documentation")]
    [InlineData("3fff::1", "documentation")]
    [InlineData("192.0.2.10", "documentation")]
    [InlineData("198.51.100.1", "documentation")]
    [InlineData("203.0.113.255", "documentation")]
    [InlineData("192.88.99.1", "6to4 relay")]
    [InlineData("::ffff:0:a00:1", "IPv4-translated")]
    [InlineData("5f00::1", "segment routing (SRv6)")]
    [InlineData("64:ff9b::808:808", null)]
    [InlineData("8.8.8.8", null)]
    [InlineData("2606:4700::1111", null)]
    public void Addresses_that_carry_another_address_are_judged_by_it(string address, string? kind) =>
        Assert.Equal(kind, new DestinationPolicy([], null).Refusal(IPAddress.Parse(address)));

    [Fact]
    public void The_hosts_own_addresses_are_refused_and_re_read_as_they_change()
    {
        var network = new ScriptedNetwork { OwnAddresses = [IPAddress.Parse("93.184.216.34")] };
        var clock = new FakeTimeProvider();
        var policy = new DestinationPolicy([], new HostAddresses(network, clock));
        Assert.Equal("this host's own", policy.Refusal(IPAddress.Parse("93.184.216.34")));
        Assert.Equal("this host's own", policy.Refusal(IPAddress.Parse("::ffff:93.184.216.34")));
        Assert.Null(policy.Refusal(IPAddress.Parse("93.184.216.35")));

        network.OwnAddresses = [IPAddress.Parse("93.184.216.35")];
        Assert.Equal("this host's own", policy.Refusal(IPAddress.Parse("93.184.216.34")));
        clock.Advance(HostAddresses.RefreshInterval);
        Assert.Null(policy.Refusal(IPAddress.Parse("93.184.216.34")));
        Assert.Equal("this host's own", policy.Refusal(IPAddress.Parse("93.184.216.35")));
    }

    [Fact]
    public void The_machines_real_interface_addresses_are_its_own()
    {
        var real = NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .Where(a => !IPAddress.IsLoopback(a)).ToList();
        Assert.NotEmpty(real);
        var own = new HostAddresses(new SystemNetwork(), TimeProvider.System);
        Assert.All(real, address => Assert.True(own.Contains(address), $"{address} is not seen as this host's"));
        Assert.False(own.Contains(IPAddress.Parse("93.184.216.34")));
    }

    /// <summary>Through the proxy: every range's first address, as the one DNS answer for a name, is refused and never dialled.</summary>
    [Fact]
    public async Task A_name_that_resolves_into_any_range_is_refused_on_the_resolved_address_and_nothing_is_dialled()
    {
        var network = new ScriptedNetwork { OwnAddresses = [IPAddress.Parse("93.184.216.34")] };
        var cases = DestinationPolicy.Blocked.Select(b => Edges(b.Network).First).Append(IPAddress.Parse("93.184.216.34")).ToList();
        for (var i = 0; i < cases.Count; i++)
        {
            network.Answer($"case{i}.test", [cases[i]]);
        }

        await using var harness = await ProxyHarness.StartAsync(options => options.AllowedDestinations = [], network);
        await using var raw = await RawConnection.ConnectAsync(harness.Port);
        for (var i = 0; i < cases.Count; i++)
        {
            await raw.SendAsync($"CONNECT case{i}.test:443 HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
            var response = await raw.ReadResponseAsync();
            Assert.True(response.Status == 403, $"case{i}.test -> {cases[i]}: {response.Status}");
            Assert.DoesNotContain(cases[i].ToString(), response.Text, StringComparison.Ordinal);
        }

        Assert.Empty(network.Dialled);
    }

    /// <summary>DNS rebinding: the answer changes between two requests (and within one); only checked addresses are dialled.</summary>
    [Fact]
    public async Task An_answer_that_changes_to_a_blocked_address_is_refused_and_only_checked_addresses_are_dialled()
    {
        var network = new ScriptedNetwork()
            .Answer("rebind.test", [IPAddress.Loopback], [IPAddress.Parse("127.0.0.2")], [IPAddress.Loopback, IPAddress.Parse("10.0.0.1")]);
        await using var harness = await ProxyHarness.StartAsync(options => options.AllowedDestinations = ["127.0.0.1/32"], network);
        var port = Target.HttpPort;
        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            await using var raw = await RawConnection.ConnectAsync(harness.Port);
            await raw.SendAsync($"GET http://rebind.test:{port}/echo HTTP/1.1\r\nHost: rebind.test\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
            statuses.Add((await raw.ReadResponseAsync()).Status);
        }

        Assert.Equal([200, 403, 403], statuses);
        Assert.All(network.Dialled, endpoint => Assert.Equal(new IPEndPoint(IPAddress.Loopback, port).ToString(), endpoint.ToString()));
        Assert.Single(network.Dialled);
    }

    private static bool CarriesIPv4(IPAddress address) =>
        address.IsIPv4MappedToIPv6
        || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.GetAddressBytes().AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        || IPNetwork.Parse("64:ff9b::/96").Contains(address) || IPNetwork.Parse("64:ff9b:1::/48").Contains(address);

    private static (IPAddress First, IPAddress Last) Edges(IPNetwork network)
    {
        var bytes = network.BaseAddress.GetAddressBytes();
        var bits = bytes.Length * 8;
        var first = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        var last = first + (BigInteger.One << (bits - network.PrefixLength)) - 1;
        return (ToAddress(first, bytes.Length), ToAddress(last, bytes.Length));
    }

    private static IPAddress? Step(IPAddress address, int by)
    {
        var bytes = address.GetAddressBytes();
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true) + by;
        return value < 0 || value >= BigInteger.One << (bytes.Length * 8) ? null : ToAddress(value, bytes.Length);
    }

    private static IPAddress ToAddress(BigInteger value, int length)
    {
        var raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var bytes = new byte[length];
        raw.CopyTo(bytes, length - raw.Length);
        return new IPAddress(bytes);
    }
}
