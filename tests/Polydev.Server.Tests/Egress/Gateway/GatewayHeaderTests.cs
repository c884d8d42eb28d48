using System.Net;
using Polydev.Server.Egress.Gateway;
using Polydev.Testing;

namespace Polydev.Server.Tests.Egress.Gateway;

/// <summary>
/// A cluster node's egress gateway speaks for its sandboxes with a PROXY v2 header (docs/nomad.md, "Egress on a
/// cluster"): the proxy believes the header only from a configured gateway address, binds tokens to the sandbox it
/// names, and closes a gateway connection without a valid header.
/// </summary>
public sealed class GatewayHeaderTests(TargetFixture fixture) : IClassFixture<TargetFixture>
{
    private static readonly IPAddress Sandbox = IPAddress.Parse("10.213.0.7");

    [Fact]
    public void The_header_round_trips_and_anything_else_is_refused()
    {
        var source = new IPEndPoint(Sandbox, 40123);
        var destination = new IPEndPoint(IPAddress.Parse("10.213.0.1"), 10007);
        var header = ProxyProtocolHeader.Write(source, destination);
        Assert.Equal(ProxyProtocolHeader.Ipv4Length, ProxyProtocolHeader.TotalLength(header));
        Assert.Equal((source, destination), ProxyProtocolHeader.Read(header));

        // Version 1 (text), an HTTP request, a LOCAL command, IPv6.
        Assert.Throws<FormatException>(() => ProxyProtocolHeader.TotalLength("PROXY TCP4 10.213.0.7 10.213.0.1 40123 10007\r\n"u8));
        Assert.Throws<FormatException>(() => ProxyProtocolHeader.TotalLength("CONNECT example.com:443 HTTP/1.1\r\n"u8));
        var local = (byte[])header.Clone();
        local[12] = 0x20;
        Assert.Throws<FormatException>(() => ProxyProtocolHeader.TotalLength(local));
        var ipv6 = (byte[])header.Clone();
        ipv6[13] = 0x21;
        Assert.Throws<FormatException>(() => ProxyProtocolHeader.Read(ipv6));
    }

    [Fact]
    public async Task Through_a_gateway_a_token_works_only_for_the_sandbox_the_header_names()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o.Gateways = ["127.0.0.0/8"]);
        var bound = harness.Tokens.Issue(harness.UserId, Sandbox);
        string Connect(string token) =>
            $"CONNECT localhost:{fixture.Target.HttpsPort} HTTP/1.1\r\nHost: localhost:{fixture.Target.HttpsPort}\r\nProxy-Authorization: {RawConnection.Basic(token)}\r\n\r\n";

        // The gateway relays the sandbox the token is bound to: the tunnel opens.
        await using (var relayed = await RawConnection.ConnectAsync(harness.Port))
        {
            await relayed.SendAsync(ProxyProtocolHeader.Write(new IPEndPoint(Sandbox, 40000), new IPEndPoint(IPAddress.Parse("10.213.0.1"), harness.Port)));
            await relayed.SendAsync(Connect(bound));
            Assert.Equal(200, (await relayed.ReadResponseAsync(bodyless: true)).Status);
        }

        // Another sandbox behind the same gateway holds the token: refused.
        await using (var other = await RawConnection.ConnectAsync(harness.Port))
        {
            await other.SendAsync(ProxyProtocolHeader.Write(new IPEndPoint(IPAddress.Parse("10.213.0.8"), 40001), new IPEndPoint(IPAddress.Parse("10.213.0.1"), harness.Port)));
            await other.SendAsync(Connect(bound));
            Assert.Equal(407, (await other.ReadResponseAsync(bodyless: true)).Status);
            await harness.AssertLoggedAsync("address 10.213.0.7");
        }

        // A gateway connection without the header is closed before any request is read.
        await using (var bare = await RawConnection.ConnectAsync(harness.Port))
        {
            await bare.SendAsync(Connect(bound));
            Assert.True(await bare.IsClosedAsync(TimeSpan.FromSeconds(5)), "a gateway connection without a PROXY header was served");
            await harness.AssertLoggedAsync("did not begin with a valid PROXY v2 header");
        }
    }

    [Fact]
    public async Task From_anywhere_but_a_gateway_a_header_is_not_believed()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o.Gateways = ["10.99.0.0/16"]);
        var bound = harness.Tokens.Issue(harness.UserId, Sandbox);
        await using var forged = await RawConnection.ConnectAsync(harness.Port);
        await forged.SendAsync(ProxyProtocolHeader.Write(new IPEndPoint(Sandbox, 40000), new IPEndPoint(IPAddress.Parse("10.213.0.1"), harness.Port)));
        await forged.SendAsync($"CONNECT localhost:{fixture.Target.HttpsPort} HTTP/1.1\r\nHost: localhost\r\nProxy-Authorization: {RawConnection.Basic(bound)}\r\n\r\n");
        var response = await forged.ReadResponseAsync(bodyless: true);
        Assert.NotEqual(200, response.Status);
    }

    [Fact]
    public void A_gateway_setting_that_cannot_work_is_refused_naming_it()
    {
        var badCidr = Assert.Throws<ArgumentException>(() =>
            Polydev.Server.Egress.Proxy.EgressOptionsValidation.Validate(new Polydev.Server.Egress.EgressOptions { Gateways = ["10.213.0.0/99"] }));
        Assert.Contains("Egress:Gateways entry '10.213.0.0/99'", badCidr.Message, StringComparison.Ordinal);

        var noUpstream = Assert.Throws<InvalidOperationException>(() => new EgressGatewayOptions().Validate());
        Assert.Contains("Egress:Gateway:Upstream", noUpstream.Message, StringComparison.Ordinal);
        var badPort = Assert.Throws<InvalidOperationException>(() => new EgressGatewayOptions { Upstream = "10.0.0.2", RelayPort = 70000 }.Validate());
        Assert.Contains("Egress:Gateway:RelayPort", badPort.Message, StringComparison.Ordinal);
    }
}
