using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Polydev.Server.Egress.Proxy;
using Polydev.Testing;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// Issue 16: <c>Egress:HostOverrides</c> sends a made-up (or a provider's) host name to a local stand-in, for CONNECT
/// tunnels and absolute-URI requests, past any upstream, with the destination policy still judging the address. What
/// the setting accepts, and when a server starts with it: <see cref="HostOverrideSettingsTests"/>.
/// </summary>
public sealed class HostOverrideTests(TargetFixture fixture) : IClassFixture<TargetFixture>
{
    /// <summary>Under <c>.test</c> (RFC 6761): no resolver answers it, so only the override can make it work.</summary>
    private const string SignIn = "sign-in.example.test";

    private HttpsTarget Target => fixture.Target;

    [Fact]
    public async Task A_connect_to_an_overridden_name_reaches_the_loopback_listener_it_maps_to()
    {
        await using var echo = ScriptedOrigin.Echo();
        await using var harness = await ProxyHarness.StartAsync(options => options.HostOverrides[SignIn] = $"127.0.0.1:{echo.Port}");
        await harness.AssertLoggedAsync($"{SignIn} = 127.0.0.1:{echo.Port}");

        // Names compare without regard to case, as DNS names do.
        await using (var raw = await RawConnection.ConnectAsync(harness.Port))
        {
            await raw.SendAsync($"CONNECT SIGN-IN.Example.TEST:443 HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
            Assert.Equal(200, (await raw.ReadResponseAsync(bodyless: true)).Status);
            await raw.SendAsync("hello stand-in");
            raw.Socket.Shutdown(SocketShutdown.Send);
            Assert.Equal("hello stand-inbye", Encoding.Latin1.GetString(await raw.ReadToEndAsync()));
        }

        Assert.Contains("polydev_egress_connect_duration_seconds_count{route=\"override\"} 1", await harness.MetricsTextAsync(), StringComparison.Ordinal);
        Assert.Contains("polydev_egress_connect_duration_seconds_count{route=\"direct\"} 0", await harness.MetricsTextAsync(), StringComparison.Ordinal);
        await harness.AssertDrainedAsync(echo.Port);
    }

    [Fact]
    public async Task Without_the_override_the_same_name_does_not_resolve()
    {
        await using var echo = ScriptedOrigin.Echo();
        await using var harness = await ProxyHarness.StartAsync();
        await using var raw = await RawConnection.ConnectAsync(harness.Port);
        await raw.SendAsync($"CONNECT {SignIn}:443 HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
        Assert.Equal(502, (await raw.ReadResponseAsync()).Status);
        await raw.SendAsync($"GET http://{SignIn}/echo HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
        Assert.Equal(502, (await raw.ReadResponseAsync()).Status);
        await harness.AssertLoggedAsync($"{SignIn} could not be resolved");
        Assert.DoesNotContain("egress_host_overrides", harness.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_absolute_uri_request_to_an_overridden_name_reaches_the_stand_in_with_the_name_as_its_host()
    {
        await using var harness = await ProxyHarness.StartAsync(options => options.HostOverrides[SignIn] = $"127.0.0.1:{Target.HttpPort}");
        await using var raw = await RawConnection.ConnectAsync(harness.Port);
        await raw.SendAsync($"GET http://{SignIn}/echo?x=1 HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
        var response = await raw.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        var echo = HttpsTarget.ParseEcho(response.Text);
        Assert.Equal("/echo?x=1", echo.Path);
        Assert.Equal(SignIn, echo.Headers["Host"].Single());
        Assert.False(echo.Has("Proxy-Authorization"));
    }

    [Fact]
    public async Task An_override_without_a_port_keeps_the_requested_port_and_nothing_is_resolved()
    {
        await using var echo = ScriptedOrigin.Echo();

        // No DNS answer at all for the name: a lookup would fail the request.
        var network = new ScriptedNetwork();
        await using var harness = await ProxyHarness.StartAsync(options => options.HostOverrides[SignIn] = "127.0.0.1", network);
        await harness.AssertLoggedAsync($"{SignIn} = 127.0.0.1 (port as requested)");
        await using var raw = await RawConnection.ConnectAsync(harness.Port);
        await raw.SendAsync($"CONNECT {SignIn}:{echo.Port} HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
        Assert.Equal(200, (await raw.ReadResponseAsync(bodyless: true)).Status);
        await raw.SendAsync("ping");
        raw.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal("pingbye", Encoding.Latin1.GetString(await raw.ReadToEndAsync()));
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, echo.Port).ToString()], network.Dialled.Select(e => e.ToString()));
    }

    [Fact]
    public async Task An_override_to_loopback_is_refused_like_any_loopback_destination_unless_allowed()
    {
        var accepted = 0;
        await using var standIn = ScriptedOrigin.Start(_ =>
        {
            Interlocked.Increment(ref accepted);
            return Task.CompletedTask;
        });
        var network = new ScriptedNetwork();
        await using var harness = await ProxyHarness.StartAsync(
            options =>
            {
                options.AllowedDestinations = [];
                options.HostOverrides[SignIn] = $"127.0.0.1:{standIn.Port}";
            },
            network);
        await using var raw = await RawConnection.ConnectAsync(harness.Port);
        foreach (var request in new[]
        {
            $"CONNECT {SignIn}:443 HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n",
            $"GET http://{SignIn}/ HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n",
        })
        {
            await raw.SendAsync(request);
            var response = await raw.ReadResponseAsync();
            Assert.Equal(403, response.Status);
            Assert.Equal(ProxyResponses.PublicReason(403), response.Text.Trim());
        }

        await harness.AssertLoggedAsync($"{SignIn} is mapped to 127.0.0.1 (Egress:HostOverrides), a loopback address");
        Assert.Contains("polydev_egress_refusals_total{reason=\"blocked\"} 2", await harness.MetricsTextAsync(), StringComparison.Ordinal);
        Assert.Empty(network.Dialled);
        Assert.Equal(0, Volatile.Read(ref accepted));
    }

    /// <summary>A stand-in is local: the upstream could not reach it, and must not see it, nor it Polydev's upstream credentials.</summary>
    [Fact]
    public async Task Overridden_names_are_dialled_directly_even_with_an_upstream_and_never_get_its_credentials()
    {
        var upstreamSaw = new ConcurrentQueue<string>();
        await using var upstream = ScriptedOrigin.Start(async socket => upstreamSaw.Enqueue((await ScriptedOrigin.ReadHeadAsync(socket)).Split("\r\n")[0]));
        await using var echo = ScriptedOrigin.Echo();
        const string Password = "upstream-password-never-downstream";
        await using var harness = await ProxyHarness.StartAsync(options =>
        {
            options.Upstream.Url = $"http://127.0.0.1:{upstream.Port}";
            options.Upstream.Username = "polydev";
            options.Upstream.Password = Password;
            options.HostOverrides["tunnel.example.test"] = $"127.0.0.1:{echo.Port}";
            options.HostOverrides["plain.example.test"] = $"127.0.0.1:{Target.HttpPort}";
        });
        await using var raw = await RawConnection.ConnectAsync(harness.Port);
        await raw.SendAsync($"GET http://plain.example.test/echo HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
        var response = await raw.ReadResponseAsync();
        Assert.True(response.Status == 200, $"{response.Status}\n{harness.Logs.Text}");
        var report = HttpsTarget.ParseEcho(response.Text);
        Assert.Equal("/echo", report.Path);
        Assert.False(report.Has("Proxy-Authorization"));
        Assert.DoesNotContain(Password, response.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("polydev:" + Password)), response.Text, StringComparison.Ordinal);

        await raw.SendAsync($"CONNECT tunnel.example.test:443 HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
        Assert.Equal(200, (await raw.ReadResponseAsync(bodyless: true)).Status);
        await raw.SendAsync("direct");
        raw.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal("directbye", Encoding.Latin1.GetString(await raw.ReadToEndAsync()));
        Assert.Empty(upstreamSaw);

        // Any other name still goes through the upstream (which here hangs up: 502).
        await using var other = await RawConnection.ConnectAsync(harness.Port);
        await other.SendAsync($"CONNECT elsewhere.example.test:443 HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
        Assert.Equal(502, (await other.ReadResponseAsync()).Status);
        await harness.AssertLoggedAsync("closed before answering CONNECT");
        Assert.Equal(["CONNECT elsewhere.example.test:443 HTTP/1.1"], upstreamSaw);
    }
}
