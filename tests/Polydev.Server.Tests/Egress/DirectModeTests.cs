using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Polydev.Server.Egress.Proxy;
using Polydev.Testing;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// Without an upstream: the destination policy (403 with a reason for loopback, metadata,
/// private and reserved addresses), absolute-URI forwarding with its framing and keep-alive,
/// caps, bandwidth, usage, closing and reopening ports, graceful shutdown, metrics.
/// </summary>
public sealed class DirectModeTests(TargetFixture fixture) : IClassFixture<TargetFixture>
{
    private HttpsTarget Target => fixture.Target;

    [Fact]
    public async Task Blocked_destinations_get_403_with_a_reason_and_nothing_is_dialled()
    {
        await using var harness = await ProxyHarness.StartAsync(options => options.AllowedDestinations = []);
        var port = Target.HttpsPort;
        var cases = new (string Authority, string Kind)[]
        {
            ($"127.0.0.1:{port}", "loopback"),
            ($"localhost:{port}", "loopback"),
            ($"[::1]:{port}", "loopback"),
            ($"[::ffff:127.0.0.1]:{port}", "loopback"),
            ("169.254.169.254:80", "link-local"),
            ("[fe80::1]:80", "link-local"),
            ("10.1.2.3:443", "private"),
            ("172.16.0.1:443", "private"),
            ("192.168.1.1:443", "private"),
            ("[fd00::1]:443", "private"),
            ("100.64.0.1:443", "shared (CGNAT)"),
            ("0.0.0.0:443", "unspecified"),
            ("[::]:443", "unspecified"),
            ("224.0.0.1:443", "multicast"),
            ("[ff02::1]:443", "multicast"),
            ("255.255.255.255:443", "reserved or broadcast"),
            ("[64:ff9b::a9fe:a9fe]:80", "link-local"),
        };

        await using var raw = await RawConnection.ConnectAsync(harness.Port);
        foreach (var (authority, kind) in cases)
        {
            foreach (var request in new[]
            {
                $"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n",
                $"GET http://{authority}/latest/meta-data/ HTTP/1.1\r\nHost: {authority}\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n",
            })
            {
                await raw.SendAsync(request);
                var response = await raw.ReadResponseAsync();
                Assert.True(response.Status == 403, $"{authority}: {response.Status} {response.Text}");
                Assert.Equal(ProxyResponses.PublicReason(403), response.Text.Trim());
                await harness.AssertLoggedAsync($"a {kind} address");
            }
        }

        Assert.Contains($"polydev_egress_refusals_total{{reason=\"blocked\"}} {cases.Length * 2}", await harness.MetricsTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, harness.Proxy.OpenSockets); // the client connection; nothing toward any destination
        await raw.DisposeAsync();
        await harness.AssertDrainedAsync(port);
    }

    [Fact]
    public void The_destination_policy_normalizes_mapped_addresses_and_honours_the_allow_list()
    {
        var strict = new DestinationPolicy([], null);
        Assert.Null(strict.Refusal(IPAddress.Parse("93.184.216.34")));
        Assert.Null(strict.Refusal(IPAddress.Parse("2606:2800:220:1:248:1893:25c8:1946")));
        Assert.Equal("loopback", strict.Refusal(IPAddress.Parse("::ffff:127.0.0.2")));
        Assert.Equal("link-local", strict.Refusal(IPAddress.Parse("fe80::1%2")));
        Assert.Equal("private", strict.Refusal(IPAddress.Parse("172.31.255.255")));
        Assert.Null(strict.Refusal(IPAddress.Parse("172.32.0.1")));

        var allowing = new DestinationPolicy(["127.0.0.1/32", "10.20.0.0/16", "fd00::1"], null);
        Assert.Null(allowing.Refusal(IPAddress.Parse("127.0.0.1")));
        Assert.Null(allowing.Refusal(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.Equal("loopback", allowing.Refusal(IPAddress.Parse("127.0.0.2")));
        Assert.Null(allowing.Refusal(IPAddress.Parse("10.20.3.4")));
        Assert.Equal("private", allowing.Refusal(IPAddress.Parse("10.21.0.1")));
        Assert.Null(allowing.Refusal(IPAddress.Parse("fd00::1")));

        var bad = Assert.Throws<ArgumentException>(() => new DestinationPolicy(["10.0.0.0/33"], null));
        Assert.Contains("'10.0.0.0/33'", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Absolute_uri_requests_keep_their_framing_on_one_kept_alive_connection_without_hop_by_hop_headers()
    {
        await using var harness = await ProxyHarness.StartAsync();
        var origin = $"http://127.0.0.1:{Target.HttpPort}";
        var auth = $"Proxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n";
        await using var raw = await RawConnection.ConnectAsync(harness.Port);

        // Hop-by-hop headers stop at the proxy; end-to-end ones go on; Host comes from the URI.
        await raw.SendAsync($"GET {origin}/echo?x=1 HTTP/1.1\r\nHost: wrong.example\r\n{auth}Proxy-Connection: keep-alive\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nX-End: kept\r\n\r\n");
        var echo = HttpsTarget.ParseEcho((await raw.ReadResponseAsync()).Text);
        Assert.Equal("/echo?x=1", echo.Path);
        Assert.Equal($"127.0.0.1:{Target.HttpPort}", echo.Headers["Host"].Single());
        Assert.Equal("kept", echo.Headers["X-End"].Single());
        foreach (var hop in new[] { "Proxy-Authorization", "Proxy-Connection", "X-Hop", "Keep-Alive", "TE" })
        {
            Assert.False(echo.Has(hop), hop + " reached the destination");
        }

        // A body with Content-Length, then a chunked one with an extension and a trailer.
        await raw.SendAsync($"POST {origin}/echo HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 5\r\n\r\nhello");
        Assert.Equal(5, HttpsTarget.ParseEcho((await raw.ReadResponseAsync()).Text).BodyLength);
        await raw.SendAsync($"POST {origin}/echo HTTP/1.1\r\nHost: x\r\n{auth}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
        Assert.Equal(11, HttpsTarget.ParseEcho((await raw.ReadResponseAsync()).Text).BodyLength);

        // A Connection option may not strip the framing of the body it comes with.
        await raw.SendAsync($"POST {origin}/echo HTTP/1.1\r\nHost: x\r\n{auth}Connection: Content-Length\r\nContent-Length: 3\r\n\r\nabc");
        Assert.Equal(3, HttpsTarget.ParseEcho((await raw.ReadResponseAsync()).Text).BodyLength);

        // Bodiless answers: HEAD, 204, 304.
        await raw.SendAsync($"HEAD {origin}/bytes/1000 HTTP/1.1\r\nHost: x\r\n{auth}\r\n");
        var head = await raw.ReadResponseAsync(bodyless: true);
        Assert.Equal(200, head.Status);
        Assert.Equal("1000", head.Header("Content-Length"));
        foreach (var status in new[] { 204, 304 })
        {
            await raw.SendAsync($"GET {origin}/status/{status} HTTP/1.1\r\nHost: x\r\n{auth}\r\n");
            Assert.Equal(status, (await raw.ReadResponseAsync()).Status);
        }

        // Chunked and Content-Length downloads arrive whole.
        await raw.SendAsync($"GET {origin}/chunked/300000 HTTP/1.1\r\nHost: x\r\n{auth}\r\n");
        var chunked = await raw.ReadResponseAsync();
        Assert.Equal("chunked", chunked.Header("Transfer-Encoding"));
        AssertPattern(chunked.Body, 300_000);
        await raw.SendAsync($"GET {origin}/bytes/300000 HTTP/1.1\r\nHost: x\r\n{auth}\r\n");
        AssertPattern((await raw.ReadResponseAsync()).Body, 300_000);

        // Two pipelined requests in one write.
        await raw.SendAsync($"GET {origin}/small HTTP/1.1\r\nHost: x\r\n{auth}\r\nGET {origin}/small?2 HTTP/1.1\r\nHost: x\r\n{auth}\r\n");
        Assert.Equal("ok", (await raw.ReadResponseAsync()).Text);
        Assert.Equal("ok", (await raw.ReadResponseAsync()).Text);

        // Connection: close ends it after the answer.
        await raw.SendAsync($"GET {origin}/small HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n");
        var last = await raw.ReadResponseAsync();
        Assert.Equal("close", last.Header("Connection"));
        Assert.True(await raw.IsClosedAsync(TimeSpan.FromSeconds(5)));

        Assert.Equal(12, harness.Tokens.Checks);
        Assert.Equal(12, CountLines(harness.Logs.Text, "\"event\":\"egress_exchange\""));
        await harness.AssertDrainedAsync(Target.HttpPort);
    }

    [Fact]
    public async Task Odd_origins_close_delimited_bodies_100_continue_and_malformed_answers_are_handled()
    {
        await using var origin = ScriptedOrigin.Start(async socket =>
        {
            var head = await ScriptedOrigin.ReadHeadAsync(socket);
            if (head.Contains("/until-close", StringComparison.Ordinal))
            {
                await ScriptedOrigin.SendAsync(socket, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until the origin closes");
            }
            else if (head.Contains("/continue", StringComparison.Ordinal))
            {
                await ScriptedOrigin.SendAsync(socket, "HTTP/1.1 100 Continue\r\n\r\n");
                var body = await ScriptedOrigin.ReadExactlyAsync(socket, 4);
                await ScriptedOrigin.SendAsync(socket, $"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{Encoding.ASCII.GetString(body).ToUpperInvariant()}");
            }
            else if (head.Contains("/garbage", StringComparison.Ordinal))
            {
                await ScriptedOrigin.SendAsync(socket, "SSH-2.0-OpenSSH\r\n\r\n");
            }
            else if (head.Contains("/silent-close", StringComparison.Ordinal))
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            else if (head.Contains("/bad-length", StringComparison.Ordinal))
            {
                await ScriptedOrigin.SendAsync(socket, "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!");
            }
        });

        await using var harness = await ProxyHarness.StartAsync();
        var auth = $"Proxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n";
        var url = $"http://127.0.0.1:{origin.Port}";

        await using (var raw = await RawConnection.ConnectAsync(harness.Port))
        {
            await raw.SendAsync($"GET {url}/until-close HTTP/1.1\r\nHost: x\r\n{auth}\r\n");
            var response = await raw.ReadResponseAsync();
            Assert.Equal("body until the origin closes", response.Text);
            Assert.Equal("close", response.Header("Connection"));
        }

        await using (var raw = await RawConnection.ConnectAsync(harness.Port))
        {
            await raw.SendAsync($"POST {url}/continue HTTP/1.1\r\nHost: x\r\n{auth}Expect: 100-continue\r\nContent-Length: 4\r\n\r\n");
            Assert.Equal(100, (await raw.ReadResponseAsync()).Status);
            await raw.SendAsync("ping");
            Assert.Equal("PING", (await raw.ReadResponseAsync()).Text);
        }

        foreach (var (path, reason) in new[] { ("/garbage", "malformed response"), ("/silent-close", "closed the connection without answering"), ("/bad-length", "invalid Content-Length") })
        {
            await using var raw = await RawConnection.ConnectAsync(harness.Port);
            await raw.SendAsync($"GET {url}{path} HTTP/1.1\r\nHost: x\r\n{auth}\r\n");
            var response = await raw.ReadResponseAsync();
            Assert.True(response.Status == 502, $"{path}: {response.Status} {response.Text}");
            Assert.Equal(ProxyResponses.PublicReason(502), response.Text.Trim());
            await harness.AssertLoggedAsync(reason);
        }

        await harness.AssertDrainedAsync(origin.Port);
    }

    [Fact]
    public async Task Requests_a_proxy_could_be_fooled_by_are_refused_with_400_and_the_connection_closed()
    {
        await using var harness = await ProxyHarness.StartAsync();
        var auth = $"Proxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n";
        var url = $"http://127.0.0.1:{Target.HttpPort}/echo";
        var cases = new (string Name, string Request, int Status, string Reason)[]
        {
            ("both framings", $"POST {url} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "both Transfer-Encoding and Content-Length"),
            ("unknown coding", $"POST {url} HTTP/1.1\r\nHost: x\r\n{auth}Transfer-Encoding: gzip, chunked\r\n\r\n", 501, "other than chunked"),
            ("conflicting lengths", $"POST {url} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 3, 4\r\n\r\nabc", 400, "invalid Content-Length"),
            ("obsolete folding", $"GET {url} HTTP/1.1\r\nHost: x\r\n{auth}X-A: 1\r\n folded\r\n\r\n", 400, "malformed header"),
            ("space before colon", $"GET {url} HTTP/1.1\r\nHost : x\r\n{auth}\r\n", 400, "malformed header"),
            ("bare LF", $"GET {url} HTTP/1.1\nHost: x\n{auth}\n", 400, "malformed request line"),
            ("origin-form", $"GET /echo HTTP/1.1\r\nHost: x\r\n{auth}\r\n", 400, "this is a forward proxy"),
            ("https absolute URI", $"GET https://localhost:{Target.HttpsPort}/ HTTP/1.1\r\nHost: x\r\n{auth}\r\n", 400, "CONNECT"),
            ("CONNECT without port", $"CONNECT localhost HTTP/1.1\r\nHost: x\r\n{auth}\r\n", 400, "host:port"),
            ("user-info", $"GET http://u:p@127.0.0.1:{Target.HttpPort}/ HTTP/1.1\r\nHost: x\r\n{auth}\r\n", 400, "user-info"),
            ("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "HTTP/1.1"),
            ("bad chunk size", $"POST {url} HTTP/1.1\r\nHost: x\r\n{auth}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400, "malformed chunked"),
        };

        foreach (var (name, request, status, reason) in cases)
        {
            await using var raw = await RawConnection.ConnectAsync(harness.Port);
            await raw.SendAsync(request);
            var response = await raw.ReadResponseAsync();
            Assert.True(response.Status == status, $"{name}: {response.Status} {response.Text}");
            Assert.Equal(ProxyResponses.PublicReason(status), response.Text.Trim());
            await harness.AssertLoggedAsync(reason);
            Assert.True(await raw.IsClosedAsync(TimeSpan.FromSeconds(5)), name + ": connection left open");
        }

        await harness.AssertDrainedAsync(Target.HttpPort);
    }

    [Fact]
    public async Task Bulk_downloads_through_a_tunnel_arrive_intact()
    {
        await using var harness = await ProxyHarness.StartAsync();
        using var client = new HttpClient(Target.CreateHandler(harness.WebProxy()));

        using var response = await client.GetAsync(new Uri(Target.HttpsBase, "bytes/33554432"), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[100_000];
        long offset = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            for (var i = 0; i < read; i += 4099)
            {
                Assert.Equal(HttpsTarget.ExpectedByte(offset + i), buffer[i]);
            }

            offset += read;
        }

        Assert.Equal(33_554_432, offset);
        Assert.InRange(harness.Proxy.GetUsage(harness.UserId).BytesDown, 33_554_432, 34_000_000);
        await body.DisposeAsync();
        response.Dispose();
        client.Dispose();
        await harness.AssertDrainedAsync(Target.HttpsPort);
    }

    [Fact]
    public async Task An_unreachable_destination_is_a_502_with_a_reason()
    {
        int closed;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var harness = await ProxyHarness.StartAsync();
        await using var raw = await RawConnection.ConnectAsync(harness.Port);
        await raw.SendAsync($"CONNECT 127.0.0.1:{closed} HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
        var response = await raw.ReadResponseAsync();
        Assert.Equal(502, response.Status);
        Assert.Equal(ProxyResponses.PublicReason(502), response.Text.Trim());
        await harness.AssertLoggedAsync($"127.0.0.1:{closed} refused the connection");

        await raw.SendAsync($"CONNECT no-such-host.invalid:443 HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
        response = await raw.ReadResponseAsync();
        Assert.Equal(502, response.Status);
        Assert.Equal(ProxyResponses.PublicReason(502), response.Text.Trim());
        await harness.AssertLoggedAsync("could not be resolved");
        await raw.DisposeAsync();
        await harness.AssertDrainedAsync(closed);
    }

    [Fact]
    public async Task The_per_user_cap_refuses_with_429_and_counts_only_authenticated_connections()
    {
        await using var echo = ScriptedOrigin.Echo();
        await using var harness = await ProxyHarness.StartAsync(options => options.MaxTunnelsPerUser = 2);

        // Connections that never authenticate do not use up the user's cap.
        var idle = new List<RawConnection>();
        for (var i = 0; i < 5; i++)
        {
            idle.Add(await RawConnection.ConnectAsync(harness.Port));
        }

        var first = await OpenTunnelAsync(harness, echo.Port);
        var second = await OpenTunnelAsync(harness, echo.Port);
        Assert.Equal(2, harness.Proxy.ActiveTunnels);
        Assert.Equal(2, harness.Proxy.GetUsage(harness.UserId).ActiveTunnels);

        await using (var third = await RawConnection.ConnectAsync(harness.Port))
        {
            await third.SendAsync($"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
            var refused = await third.ReadResponseAsync();
            Assert.Equal(429, refused.Status);
            Assert.Equal(ProxyResponses.PublicReason(429), refused.Text.Trim());
            await harness.AssertLoggedAsync("already has 2 open connections");
        }

        // Another user's cap is their own.
        var (_, otherToken, otherPort) = await harness.AddUserAsync();
        await using (var other = await OpenTunnelAsync(harness, echo.Port, otherToken, otherPort))
        {
            Assert.Equal(3, harness.Proxy.ActiveTunnels);
        }

        await first.DisposeAsync();
        await WaitUntilAsync(() => harness.Proxy.GetUsage(harness.UserId).ActiveTunnels == 1);
        await using (var again = await OpenTunnelAsync(harness, echo.Port))
        {
            await again.SendAsync("still works");
        }

        await second.DisposeAsync();
        foreach (var connection in idle)
        {
            await connection.DisposeAsync();
        }

        Assert.Contains("polydev_egress_refusals_total{reason=\"limit\"} 1", await harness.MetricsTextAsync(), StringComparison.Ordinal);
        await harness.AssertDrainedAsync(echo.Port);
    }

    [Fact]
    public async Task The_bandwidth_cap_is_shared_by_all_of_a_users_connections()
    {
        const long Cap = 1024 * 1024;
        await using var harness = await ProxyHarness.StartAsync(options => options.BandwidthBytesPerSecond = Cap);
        using var client = new HttpClient(Target.CreateHandler(harness.WebProxy()));
        using var second = new HttpClient(Target.CreateHandler(harness.WebProxy()));

        // Two downloads at once over two tunnels: 3 MiB in all at 1 MiB/s (after a 200 ms burst).
        var watch = Stopwatch.StartNew();
        var downloads = await Task.WhenAll(
            client.GetByteArrayAsync(new Uri(Target.HttpsBase, "bytes/1572864")),
            second.GetByteArrayAsync(new Uri(Target.HttpsBase, "bytes/1572864")));
        var seconds = watch.Elapsed.TotalSeconds;

        Assert.All(downloads, d => Assert.Equal(1_572_864, d.Length));
        var moved = harness.Proxy.GetUsage(harness.UserId);
        var rate = (moved.BytesUp + moved.BytesDown) / seconds;
        Assert.True(seconds >= 2.3, $"3 MiB at a 1 MiB/s cap took only {seconds:0.00} s");
        Assert.True(rate <= Cap * 1.2, $"rate {rate / Cap:0.00} MiB/s above the cap");
        Assert.True(rate >= Cap * 0.6, $"rate {rate / Cap:0.00} MiB/s far below the cap");

        // Another user is not slowed down by the first one's cap... nor has their own spent.
        var (_, otherToken, otherPort) = await harness.AddUserAsync();
        using var other = new HttpClient(Target.CreateHandler(harness.WebProxy(otherToken, otherPort)));
        watch.Restart();
        Assert.Equal(150_000, (await other.GetByteArrayAsync(new Uri(Target.HttpsBase, "bytes/150000"))).Length);
        Assert.True(watch.Elapsed.TotalSeconds < 1, $"a fresh user's small download took {watch.Elapsed.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task CloseAsync_cuts_the_users_live_tunnels_and_OpenAsync_listens_again_on_the_same_port()
    {
        await using var echo = ScriptedOrigin.Echo();
        await using var harness = await ProxyHarness.StartAsync();
        var (otherUser, otherToken, otherPort) = await harness.AddUserAsync();
        await using var mine = await OpenTunnelAsync(harness, echo.Port);
        await using var theirs = await OpenTunnelAsync(harness, echo.Port, otherToken, otherPort);

        await harness.Proxy.CloseAsync(harness.UserId, CancellationToken.None);

        Assert.True(await mine.IsClosedAsync(TimeSpan.FromSeconds(5)), "the closed user's tunnel is still open");
        Assert.DoesNotContain(harness.Port, harness.Proxy.OpenPorts);
        Assert.Contains(otherPort, harness.Proxy.OpenPorts);
        var refused = await Assert.ThrowsAsync<SocketException>(() => RawConnection.ConnectAsync(harness.Port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        // The other user's tunnel is untouched.
        await theirs.SendAsync("hello");
        Assert.Equal("hello", Encoding.ASCII.GetString(await ReadSomeAsync(theirs, 5)));

        // Closing again is harmless; reopening listens on the same port, despite sockets in TIME_WAIT.
        await harness.Proxy.CloseAsync(harness.UserId, CancellationToken.None);
        await harness.Proxy.OpenAsync(harness.UserId, harness.Port, CancellationToken.None);
        await harness.Proxy.OpenAsync(harness.UserId, harness.Port, CancellationToken.None);
        Assert.Equal(2, harness.Proxy.OpenPorts.Count);
        using var client = new HttpClient(Target.CreateHandler(harness.WebProxy()));
        Assert.Equal("ok", await client.GetStringAsync(new Uri(Target.HttpsBase, "small")));
        client.Dispose();
        await theirs.DisposeAsync();
        Assert.Contains("\"event\":\"egress_port_closed\"", harness.Logs.Text, StringComparison.Ordinal);
        await harness.AssertDrainedAsync(echo.Port, Target.HttpsPort);
        _ = otherUser;
    }

    [Fact]
    public async Task Opening_a_port_that_cannot_be_had_is_a_clear_error()
    {
        await using var harness = await ProxyHarness.StartAsync();
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var inUse = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => harness.Proxy.OpenAsync(Guid.NewGuid(), taken, CancellationToken.None));
        Assert.Equal($"Egress port {taken} cannot be opened on 127.0.0.1: it is in use by another process.", inUse.Message);

        var mine = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => harness.Proxy.OpenAsync(Guid.NewGuid(), harness.Port, CancellationToken.None));
        Assert.Contains("already open for another user", mine.Message, StringComparison.Ordinal);

        // A user moved to another port: the old one closes; when the new one cannot be had, neither is open.
        var (moving, _, oldPort) = await harness.AddUserAsync();
        await Assert.ThrowsAsync<PortInUseException>(() => harness.Proxy.OpenAsync(moving, taken, CancellationToken.None));
        Assert.DoesNotContain(oldPort, harness.Proxy.OpenPorts);
        await Assert.ThrowsAsync<SocketException>(() => RawConnection.ConnectAsync(oldPort));

        var bind = Assert.Throws<ArgumentException>(() => new EgressProxy(
            Microsoft.Extensions.Options.Options.Create(new Polydev.Server.Egress.EgressOptions { BindAddress = "gateway" }),
            harness.Tokens, new SystemNetwork(), new Polydev.Server.Egress.EgressMetrics(Prometheus.Metrics.NewCustomRegistry()), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<EgressProxy>.Instance));
        Assert.Contains("BindAddress", bind.Message, StringComparison.Ordinal);

        var upstream = Assert.Throws<ArgumentException>(() => new EgressProxy(
            Microsoft.Extensions.Options.Options.Create(new Polydev.Server.Egress.EgressOptions { Upstream = { Url = "socks5://user:hunter2@gate.example:7000" } }),
            harness.Tokens, new SystemNetwork(), new Polydev.Server.Egress.EgressMetrics(Prometheus.Metrics.NewCustomRegistry()), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<EgressProxy>.Instance));
        Assert.DoesNotContain("hunter2", upstream.Message, StringComparison.Ordinal);
        Assert.Single(harness.Proxy.OpenPorts);
    }

    [Fact]
    public async Task Usage_is_counted_per_user_and_each_delta_is_handed_out_once()
    {
        await using var harness = await ProxyHarness.StartAsync();
        var (other, _, _) = await harness.AddUserAsync();
        using (var client = new HttpClient(Target.CreateHandler(harness.WebProxy())))
        {
            Assert.Equal(500_000, (await client.GetByteArrayAsync(new Uri(Target.HttpBase, "bytes/500000"))).Length);

            var usage = harness.Proxy.GetUsage(harness.UserId);
            Assert.InRange(usage.BytesDown, 500_000, 501_000);
            Assert.InRange(usage.BytesUp, 50, 1000);
            Assert.Equal(1, usage.ActiveTunnels);
            Assert.Equal(default, harness.Proxy.GetUsage(other));

            var deltas = harness.Proxy.TakeUsageDeltas();
            Assert.Equal(usage, deltas[harness.UserId]);
            Assert.False(deltas.ContainsKey(other));

            var again = harness.Proxy.TakeUsageDeltas();
            Assert.Equal(new Polydev.Server.Egress.EgressUsage(0, 0, 1), again[harness.UserId]);

            await client.GetStringAsync(new Uri(Target.HttpBase, "small"));
            var third = harness.Proxy.TakeUsageDeltas()[harness.UserId];
            Assert.InRange(third.BytesDown, 10, 1000);
        }

        await harness.AssertDrainedAsync(Target.HttpPort);
        Assert.Empty(harness.Proxy.TakeUsageDeltas());
        Assert.True(harness.Proxy.GetUsage(harness.UserId).BytesDown > 500_000);
    }

    [Fact]
    public async Task Shutdown_closes_idle_connections_at_once_lets_tunnels_run_for_the_grace_then_cuts_them()
    {
        await using var echo = ScriptedOrigin.Echo();
        await using var harness = await ProxyHarness.StartAsync(options => options.ShutdownGrace = TimeSpan.FromSeconds(1.5));
        await using var tunnel = await OpenTunnelAsync(harness, echo.Port);
        await using var keptAlive = await RawConnection.ConnectAsync(harness.Port);
        await keptAlive.SendAsync($"GET http://127.0.0.1:{Target.HttpPort}/small HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
        Assert.Equal("ok", (await keptAlive.ReadResponseAsync()).Text);

        var watch = Stopwatch.StartNew();
        var shutdown = harness.Proxy.ShutdownAsync(CancellationToken.None);

        Assert.True(await keptAlive.IsClosedAsync(TimeSpan.FromSeconds(1)), "an idle keep-alive connection outlived the shutdown's start");
        await Assert.ThrowsAsync<SocketException>(() => RawConnection.ConnectAsync(harness.Port));
        Assert.Empty(harness.Proxy.OpenPorts);
        await tunnel.SendAsync("during grace");
        Assert.Equal("during grace", Encoding.ASCII.GetString(await ReadSomeAsync(tunnel, 12)));

        await shutdown;
        Assert.InRange(watch.Elapsed.TotalSeconds, 1.3, 5);
        Assert.True(await tunnel.IsClosedAsync(TimeSpan.FromSeconds(2)), "the tunnel survived the grace");
        Assert.Equal(shutdown, harness.Proxy.ShutdownAsync(CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Proxy.OpenAsync(Guid.NewGuid(), 0, CancellationToken.None));
        await harness.AssertDrainedAsync(echo.Port, Target.HttpPort);
    }

    [Fact]
    public async Task Metrics_count_without_any_user_or_port_label()
    {
        await using var harness = await ProxyHarness.StartAsync();
        using (var client = new HttpClient(Target.CreateHandler(harness.WebProxy())))
        {
            await client.GetStringAsync(new Uri(Target.HttpsBase, "small"));
            await client.GetStringAsync(new Uri(Target.HttpBase, "small"));
            using var held = await client.GetAsync(new Uri(Target.HttpsBase, "small"));
            var live = await harness.MetricsTextAsync();
            Assert.Contains("polydev_egress_active_tunnels 2", live, StringComparison.Ordinal);
            Assert.Contains("polydev_egress_listeners 1", live, StringComparison.Ordinal);
        }

        await harness.AssertDrainedAsync(Target.HttpsPort, Target.HttpPort);
        var text = await harness.MetricsTextAsync();
        // HttpClient asks without credentials first and answers the 407 challenge: two requests each.
        Assert.Equal(2, Value(text, "polydev_egress_requests_total{kind=\"connect\"}"));
        Assert.Equal(2, Value(text, "polydev_egress_requests_total{kind=\"http\"}"));
        Assert.Equal(2, Value(text, "polydev_egress_refusals_total{reason=\"auth\"}"));
        Assert.Equal(0, Value(text, "polydev_egress_active_tunnels"));
        Assert.Equal(0, Value(text, "polydev_egress_connections"));
        Assert.Equal(2, Value(text, "polydev_egress_connect_duration_seconds_count{route=\"direct\"}"));
        Assert.Equal(0, Value(text, "polydev_egress_connect_duration_seconds_count{route=\"upstream\"}"));
        Assert.True(Value(text, "polydev_egress_bytes_total{direction=\"up\"}") > 500);
        Assert.True(Value(text, "polydev_egress_bytes_total{direction=\"down\"}") > 500);

        Assert.DoesNotContain(harness.UserId.ToString(), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("user=", text, StringComparison.Ordinal);
        Assert.DoesNotContain("port=", text, StringComparison.Ordinal);
    }

    internal static async Task<RawConnection> OpenTunnelAsync(ProxyHarness harness, int destinationPort, string? token = null, int? port = null)
    {
        var raw = await RawConnection.ConnectAsync(port ?? harness.Port);
        await raw.SendAsync($"CONNECT 127.0.0.1:{destinationPort} HTTP/1.1\r\nHost: 127.0.0.1:{destinationPort}\r\nProxy-Authorization: {RawConnection.Basic(token ?? harness.Token)}\r\n\r\n");
        var response = await raw.ReadResponseAsync(bodyless: true);
        Assert.True(response.Status == 200, $"CONNECT: {response.Status}\n{harness.Logs.Text}");
        return raw;
    }

    internal static async Task<byte[]> ReadSomeAsync(RawConnection raw, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            var read = await raw.Socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return buffer[..filled];
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "condition not met within 10 s");
            await Task.Delay(20);
        }
    }

    private static void AssertPattern(byte[] body, int length)
    {
        Assert.Equal(length, body.Length);
        for (var i = 0; i < body.Length; i += 997)
        {
            Assert.Equal(HttpsTarget.ExpectedByte(i), body[i]);
        }
    }

    private static double Value(string metrics, string series)
    {
        var line = metrics.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no series {series} in\n{metrics}");
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int CountLines(string text, string marker) => text.Split('\n').Count(l => l.Contains(marker, StringComparison.Ordinal));
}
