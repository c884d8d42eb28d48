using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Polydev.Server.Egress;
using Polydev.Server.Egress.Proxy;
using Polydev.Server.Hosting;
using Polydev.Server.Tests.Infrastructure;
using Polydev.Testing;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// Issue 16: <c>Egress:HostOverrides</c> sends a made-up (or a provider's) host name to a local stand-in, for CONNECT
/// tunnels and absolute-URI requests, past any upstream, with the destination policy still judging the address; bad
/// entries and a Production server without <c>Egress:AllowHostOverrides</c> do not start.
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

    [Theory]
    [InlineData("", "127.0.0.1", "Egress:HostOverrides has an entry with no host name")]
    [InlineData("*.example.test", "127.0.0.1", "Egress:HostOverrides:*.example.test: '*.example.test' is not a host name")]
    [InlineData("claude.ai:443", "127.0.0.1", "Egress:HostOverrides:claude.ai:443: 'claude.ai:443' is not a host name")]
    [InlineData(SignIn, "localhost:8443", $"Egress:HostOverrides:{SignIn}: 'localhost:8443' is not an address")]
    [InlineData(SignIn, "", $"Egress:HostOverrides:{SignIn}: '' is not an address")]
    [InlineData(SignIn, "127.1", $"Egress:HostOverrides:{SignIn}: '127.1' is not an address")]
    [InlineData(SignIn, "::1:8443]", $"Egress:HostOverrides:{SignIn}: '::1:8443]' is not an address")]
    [InlineData(SignIn, "[::1]:", $"Egress:HostOverrides:{SignIn}: '[::1]:' is not an address")]
    [InlineData(SignIn, "[127.0.0.1]:8443", $"Egress:HostOverrides:{SignIn}: '[127.0.0.1]:8443' is not an address")]
    [InlineData(SignIn, "127.0.0.1:https", $"Egress:HostOverrides:{SignIn}: '127.0.0.1:https' is not an address")]
    [InlineData(SignIn, "127.0.0.1:65536", $"Egress:HostOverrides:{SignIn}: port 65536 in '127.0.0.1:65536' is out of range")]
    [InlineData(SignIn, "127.0.0.1:0", $"Egress:HostOverrides:{SignIn}: port 0 in '127.0.0.1:0' is out of range")]
    [InlineData(SignIn, "[::1]:1000000", $"Egress:HostOverrides:{SignIn}: port 1000000 in '[::1]:1000000' is out of range")]
    public async Task Invalid_entries_are_refused_at_start_with_the_entry_named(string host, string value, string message)
    {
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => ProxyHarness.StartAsync(options => options.HostOverrides[host] = value));
        Assert.StartsWith(message, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Entries_take_ipv4_and_bracketed_ipv6_with_or_without_a_port_and_match_names_exactly_without_regard_to_case()
    {
        var overrides = new HostOverrides(new Dictionary<string, string>
        {
            ["claude.ai"] = "127.0.0.1:8443",
            ["auth.openai.com"] = "127.0.0.2",
            ["accounts.google.com"] = "[::1]:9443",
            ["v6.example.test"] = "[::1]",
            ["bare.example.test"] = "::1",
        });
        Assert.Equal(5, overrides.Count);
        Assert.Equal("127.0.0.1:8443", Get(overrides, "Claude.AI", 443));
        Assert.Equal("127.0.0.2:443", Get(overrides, "auth.openai.com", 443));
        Assert.Equal("127.0.0.2:8080", Get(overrides, "AUTH.OPENAI.COM", 8080));
        Assert.Equal("[::1]:9443", Get(overrides, "accounts.google.com", 443));
        Assert.Equal("[::1]:443", Get(overrides, "v6.example.test", 443));
        Assert.Equal("[::1]:80", Get(overrides, "bare.example.test", 80));

        // Exact names only: no subdomains, parents or wildcards.
        Assert.Null(Get(overrides, "www.claude.ai", 443));
        Assert.Null(Get(overrides, "openai.com", 443));
        Assert.False(overrides.Covers("api.claude.ai"));
        Assert.Equal(
            "accounts.google.com = [::1]:9443; auth.openai.com = 127.0.0.2 (port as requested); bare.example.test = [::1] (port as requested); claude.ai = 127.0.0.1:8443; v6.example.test = [::1] (port as requested)",
            overrides.Describe());

        var twice = Assert.Throws<ArgumentException>(() => new HostOverrides(new Dictionary<string, string> { ["claude.ai"] = "127.0.0.1", ["CLAUDE.ai"] = "127.0.0.2" }));
        Assert.Contains("Egress:HostOverrides:CLAUDE.ai is given twice", twice.Message, StringComparison.Ordinal);
        Assert.Equal(0, new HostOverrides(new EgressOptions().HostOverrides).Count);
    }

    [Fact]
    public void The_production_guard_applies_to_production_only_and_yields_to_AllowHostOverrides()
    {
        var options = new EgressOptions { HostOverrides = { [SignIn] = "127.0.0.1:8443" } };
        EgressOptionsValidation.Validate(options, Environment(Environments.Development));
        var refused = Assert.Throws<ArgumentException>(() => EgressOptionsValidation.Validate(options, Environment(Environments.Production)));
        Assert.Contains("Egress:HostOverrides", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Egress:AllowHostOverrides", refused.Message, StringComparison.Ordinal);

        options.AllowHostOverrides = true;
        EgressOptionsValidation.Validate(options, Environment(Environments.Production));

        // Off by default: nothing to allow.
        EgressOptionsValidation.Validate(new EgressOptions(), Environment(Environments.Production));
    }

    /// <summary><c>polydev server</c> runs as Production: it refuses to start with overrides it was not told to allow.</summary>
    [Fact]
    public async Task A_production_server_with_host_overrides_refuses_to_start_without_AllowHostOverrides()
    {
        var data = Directory.CreateTempSubdirectory("polydev-test-").FullName;
        var first = FreePorts.FindBlock(2);
        var app = PolydevServer.Build(new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Data"] = data,
            ["Accounts:AuthKeyHashIterations"] = "1000",
            ["Egress:FirstPort"] = first.ToString(CultureInfo.InvariantCulture),
            ["Egress:LastPort"] = (first + 1).ToString(CultureInfo.InvariantCulture),
            ["Login:Turn:Mode"] = "off",
            [$"Egress:HostOverrides:{SignIn}"] = "127.0.0.1:8443",
        });
        try
        {
            Assert.True(app.Environment.IsProduction());
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => PolydevServer.StartAsync(app));
            Assert.Contains($"Egress:HostOverrides is set ({SignIn}) but this server runs as Production", refused.Message, StringComparison.Ordinal);
            Assert.Contains("Egress:AllowHostOverrides=true", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            await app.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task A_production_server_starts_with_AllowHostOverrides_and_warns_with_every_mapping()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, new Dictionary<string, string?>
        {
            [$"Egress:HostOverrides:{SignIn}"] = "127.0.0.1:8443",
            ["Egress:HostOverrides:claude.ai"] = "127.0.0.1",
            ["Egress:AllowHostOverrides"] = "true",
        });
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);
        var warnings = server.Logs.Text.Split('\n').Where(l => l.Contains("egress_host_overrides", StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("Warning", warning, StringComparison.Ordinal);
        Assert.Contains($"claude.ai = 127.0.0.1 (port as requested); {SignIn} = 127.0.0.1:8443", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_with_an_invalid_entry_refuses_to_start_even_when_overrides_are_allowed()
    {
        var data = Directory.CreateTempSubdirectory("polydev-test-").FullName;
        var app = PolydevServer.Build(new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Data"] = data,
            ["Login:Turn:Mode"] = "off",
            [$"Egress:HostOverrides:{SignIn}"] = "127.0.0.1:99999",
            ["Egress:AllowHostOverrides"] = "true",
        });
        try
        {
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => PolydevServer.StartAsync(app));
            Assert.Contains($"Egress:HostOverrides:{SignIn}: port 99999 in '127.0.0.1:99999' is out of range", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            await app.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    private static string? Get(HostOverrides overrides, string host, int port) =>
        overrides.TryGet(host, port, out var endpoint) ? endpoint.ToString() : null;

    private static HostingEnvironment Environment(string name) => new() { EnvironmentName = name };
}
