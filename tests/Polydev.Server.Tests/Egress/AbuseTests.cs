using Polydev.Server.Egress.Proxy;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Polydev.Testing;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// Bad input: garbage, oversized and endless headers, slow clients, half-closed and idle
/// tunnels, a thousand connections opened and dropped at once. The proxy stays up, keeps
/// serving a well-behaved client throughout, and its counts return to zero with no socket left.
/// </summary>
[Collection(QuietCollection.Name)]
public sealed class AbuseTests(TargetFixture fixture) : IClassFixture<TargetFixture>
{
    private HttpsTarget Target => fixture.Target;

    [Fact]
    public async Task Garbage_and_oversized_or_endless_headers_are_refused_and_closed()
    {
        await using var harness = await ProxyHarness.StartAsync(options => options.MaxRequestHeaderBytes = 8 * 1024);
        await using var wellBehaved = new WellBehavedClient(harness, Target);

        var random = RandomNumberGenerator.GetBytes(4096);
        var cases = new (string Name, byte[] Bytes, int Status)[]
        {
            ("text garbage", "HELLO THERE\r\n\r\n"u8.ToArray(), 400),
            ("random bytes with a blank line", [.. random, .. "\r\n\r\n"u8.ToArray()], 400),
            ("a TLS ClientHello sent to the proxy", [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, .. random[..500], .. "\r\n\r\n"u8.ToArray()], 400),
            ("random bytes beyond the header limit", RandomNumberGenerator.GetBytes(9000).Select(b => b == (byte)'\n' ? (byte)'x' : b).ToArray(), 431),
            ("one oversized header", Encoding.ASCII.GetBytes($"GET http://127.0.0.1/ HTTP/1.1\r\nX-Big: {new string('a', 9000)}\r\n\r\n"), 431),
            ("NUL in a header", "GET http://127.0.0.1/ HTTP/1.1\r\nX-A: a\0b\r\n\r\n"u8.ToArray(), 400),
            ("request line without version", "GET http://127.0.0.1/\r\n\r\n"u8.ToArray(), 400),
        };

        foreach (var (name, bytes, status) in cases)
        {
            await using var raw = await RawConnection.ConnectAsync(harness.Port);
            try
            {
                await raw.SendAsync(bytes);
            }
            catch (SocketException)
            {
                // The proxy may close before taking all of an oversized head.
            }

            var response = await raw.ReadResponseAsync();
            Assert.True(response.Status == status, $"{name}: {response.Status} {response.Text}");
            Assert.True(await raw.IsClosedAsync(TimeSpan.FromSeconds(5)), $"{name}: connection left open");
        }

        // Headers that never end: the proxy answers 431 and closes while we are still sending.
        await using (var endless = await RawConnection.ConnectAsync(harness.Port))
        {
            await endless.SendAsync("GET http://127.0.0.1/ HTTP/1.1\r\n");
            long sent = 0;
            var line = Encoding.ASCII.GetBytes("X-Endless: " + new string('e', 100) + "\r\n");
            var stopped = false;
            while (sent < 256_000_000 && !stopped)
            {
                try
                {
                    await endless.SendAsync(line);
                    sent += line.Length;
                }
                catch (SocketException)
                {
                    stopped = true;
                }
            }

            // What was sent beyond the limit sat in kernel buffers until the proxy's close reset the connection.
            Assert.True(stopped, $"the proxy kept taking endless headers ({sent} bytes)");
        }

        Assert.True(await wellBehaved.StopAsync() > 0);
        var refusals = await harness.MetricsTextAsync();
        Assert.Contains($"polydev_egress_refusals_total{{reason=\"bad_request\"}} {cases.Length + 1}", refusals, StringComparison.Ordinal);
        await harness.AssertDrainedAsync(Target.HttpsPort, Target.HttpPort);
    }

    [Fact]
    public async Task A_slow_client_that_never_finishes_its_request_gets_408_and_is_closed()
    {
        await using var harness = await ProxyHarness.StartAsync(options => options.RequestHeadersTimeout = TimeSpan.FromSeconds(1));
        await using var wellBehaved = new WellBehavedClient(harness, Target);

        await using var silent = await RawConnection.ConnectAsync(harness.Port);
        await using var slow = await RawConnection.ConnectAsync(harness.Port);
        var watch = Stopwatch.StartNew();
        await slow.SendAsync("GET http://127.0.0.1/ HTTP/1.1\r\n");

        // One byte every 200 ms keeps the connection busy but never completes the head.
        var dripping = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < 50; i++)
                {
                    await Task.Delay(200);
                    await slow.SendAsync("X"u8.ToArray());
                }
            }
            catch (SocketException)
            {
            }
        });

        var response = await slow.ReadResponseAsync(timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(408, response.Status);
        Assert.Equal(ProxyResponses.PublicReason(408), response.Text.Trim());
        await harness.AssertLoggedAsync("not complete within 1 s");
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.9, 3);
        Assert.True(await slow.IsClosedAsync(TimeSpan.FromSeconds(3)));
        Assert.True(await silent.IsClosedAsync(TimeSpan.FromSeconds(3)), "a connection that sent nothing outlived the headers timeout");
        await dripping;

        Assert.True(await wellBehaved.StopAsync() > 0);
        Assert.Contains("polydev_egress_refusals_total{reason=\"timeout\"} 2", await harness.MetricsTextAsync(), StringComparison.Ordinal);
        await harness.AssertDrainedAsync(Target.HttpsPort, Target.HttpPort);
    }

    [Fact]
    public async Task Half_closed_tunnels_pass_each_end_of_stream_on_and_finish_both_ways()
    {
        // The client finishes first: its FIN reaches the destination, which still answers.
        await using var echo = ScriptedOrigin.Echo();

        // The destination finishes first: its FIN reaches the client, which can still send.
        var lateData = new TaskCompletionSource<string>();
        await using var recorder = ScriptedOrigin.Start(async socket =>
        {
            await socket.SendAsync("hello, then FIN"u8.ToArray());
            socket.Shutdown(SocketShutdown.Send);
            var received = new MemoryStream();
            var buffer = new byte[1024];
            int read;
            while ((read = await socket.ReceiveAsync(buffer)) > 0)
            {
                received.Write(buffer, 0, read);
            }

            lateData.TrySetResult(Encoding.ASCII.GetString(received.ToArray()));
        });

        await using var harness = await ProxyHarness.StartAsync();

        await using (var tunnel = await DirectModeTests.OpenTunnelAsync(harness, echo.Port))
        {
            await tunnel.SendAsync("ping");
            tunnel.Socket.Shutdown(SocketShutdown.Send);
            var all = await tunnel.ReadToEndAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("pingbye", Encoding.ASCII.GetString(all));
        }

        await using (var tunnel = await DirectModeTests.OpenTunnelAsync(harness, recorder.Port))
        {
            var greeting = await tunnel.ReadToEndAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("hello, then FIN", Encoding.ASCII.GetString(greeting));
            await tunnel.SendAsync("late data after the destination's FIN");
            tunnel.Socket.Shutdown(SocketShutdown.Send);
            Assert.Equal("late data after the destination's FIN", await lateData.Task.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.True(await tunnel.IsClosedAsync(TimeSpan.FromSeconds(5)));
        }

        Assert.Contains("connect 127.0.0.1:", harness.Logs.Text, StringComparison.Ordinal);
        Assert.Contains(": ok 200, ", harness.Logs.Text, StringComparison.Ordinal);
        await harness.AssertDrainedAsync(echo.Port, recorder.Port);
    }

    [Fact]
    public async Task An_idle_tunnel_is_cut_after_the_idle_timeout_and_a_busy_one_is_not()
    {
        await using var echo = ScriptedOrigin.Echo();
        // Margins are wide (a 2 s timeout, a byte every 100 ms) so a loaded CI machine cannot
        // stall the busy tunnel past the timeout.
        await using var harness = await ProxyHarness.StartAsync(options => options.IdleTimeout = TimeSpan.FromSeconds(2));
        await using var idle = await DirectModeTests.OpenTunnelAsync(harness, echo.Port);
        await using var busy = await DirectModeTests.OpenTunnelAsync(harness, echo.Port);

        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(4))
        {
            await busy.SendAsync("x");
            Assert.Equal("x", Encoding.ASCII.GetString(await DirectModeTests.ReadSomeAsync(busy, 1)));
            await Task.Delay(100);
        }

        Assert.True(await idle.IsClosedAsync(TimeSpan.FromSeconds(3)), "the idle tunnel is still open");
        await busy.SendAsync("y");
        Assert.Equal("y", Encoding.ASCII.GetString(await DirectModeTests.ReadSomeAsync(busy, 1)));
        Assert.Contains("idle timeout", harness.Logs.Text, StringComparison.Ordinal);
        await busy.DisposeAsync();
        await harness.AssertDrainedAsync(echo.Port);
    }

    [Fact]
    public async Task A_thousand_connections_opened_and_dropped_at_once_leave_nothing_behind_and_a_good_client_is_served_throughout()
    {
        await using var echo = ScriptedOrigin.Echo();
        await using var harness = await ProxyHarness.StartAsync(options => options.MaxTunnelsPerUser = 2000);

        // The well-behaved client is another user's sandbox on the same proxy.
        var (_, goodToken, goodPort) = await harness.AddUserAsync();
        await using var wellBehaved = new WellBehavedClient(harness, Target, (goodToken, goodPort));
        var descriptorsBefore = TcpTable.DescriptorCount();

        // Round 1: a thousand connections that send nothing, or garbage, or half a head, then drop.
        // Round 2: a thousand valid CONNECTs whose clients vanish right after asking (or after the 200).
        foreach (var round in new[] { 1, 2 })
        {
            var sockets = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, harness.Port);
                var payload = round == 1
                    ? (i % 3) switch
                    {
                        0 => [],
                        1 => RandomNumberGenerator.GetBytes(200),
                        _ => "GET http://127.0.0.1/ HTTP/1.1\r\nHost: x\r\n"u8.ToArray(),
                    }
                    : Encoding.ASCII.GetBytes($"CONNECT 127.0.0.1:{echo.Port} HTTP/1.1\r\nHost: x\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
                if (payload.Length > 0)
                {
                    await socket.SendAsync(payload);
                }

                return socket;
            }));

            // Served while a thousand connections are open on the same proxy.
            var before = wellBehaved.Served;
            await DirectModeTests.WaitUntilAsync(() => wellBehaved.Served >= before + 2 || wellBehaved.Failed);

            if (round == 2)
            {
                // Some wait for the tunnel before vanishing, the rest do not.
                await Task.WhenAll(sockets.Take(300).Select(async s =>
                {
                    var buffer = new byte[64];
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                    await s.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                }));
                await DirectModeTests.WaitUntilAsync(() => harness.Proxy.ActiveTunnels >= 300);
            }

            foreach (var (socket, i) in sockets.Select((s, i) => (s, i)))
            {
                if (i % 2 == 0)
                {
                    // An abortive close (RST) for half of them.
                    socket.LingerState = new LingerOption(true, 0);
                }

                socket.Dispose();
            }

            await harness.AssertPortDrainedAsync(harness.UserId, harness.Port);
        }

        Assert.True(await wellBehaved.StopAsync() >= 4);
        await harness.AssertDrainedAsync(echo.Port, Target.HttpsPort, Target.HttpPort);
        Assert.Equal(0, harness.Proxy.GetUsage(harness.UserId).ActiveTunnels);
        Assert.Contains(harness.Port, harness.Proxy.OpenPorts);

        // Descriptors: back to where they were, give or take what other tests in this process do.
        Assert.InRange(TcpTable.DescriptorCount(), 0, descriptorsBefore + 100);
        Assert.DoesNotContain("\"level\":\"Error\"", harness.Logs.Text, StringComparison.Ordinal);

        // Still up: curl through it.
        var curl = await Curl.RunAsync("--proxy", $"http://sandbox:{harness.Token}@127.0.0.1:{harness.Port}", "--cacert", Target.AuthorityPemPath, $"https://localhost:{Target.HttpsPort}/small");
        Assert.True(curl.ExitCode == 0 && curl.Output == "ok", curl.ToString());
    }

    /// <summary>
    /// A client that keeps making requests through the proxy (a new tunnel, then a kept-alive
    /// plain-HTTP request) until stopped; every one must succeed.
    /// </summary>
    private sealed class WellBehavedClient : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<int> _running;
        private int _served;

        /// <param name="ownPort">Use another user's port (token, port) instead of the harness user's.</param>
        public WellBehavedClient(ProxyHarness harness, HttpsTarget target, (string Token, int Port)? ownPort = null)
        {
            _running = Task.Run(async () =>
            {
                var proxy = ownPort is { } own ? harness.WebProxy(own.Token, own.Port) : harness.WebProxy();
                using var plain = new HttpClient(target.CreateHandler(proxy));
                var served = 0;
                do
                {
                    using (var fresh = new HttpClient(target.CreateHandler(proxy)))
                    {
                        Assert.Equal("ok", await fresh.GetStringAsync(new Uri(target.HttpsBase, "small")));
                    }

                    Assert.Equal("ok", await plain.GetStringAsync(new Uri(target.HttpBase, "small")));
                    served++;
                    Interlocked.Increment(ref _served);
                    await Task.Delay(50);
                }
                while (!_stop.IsCancellationRequested);
                return served;
            });
        }

        public int Served => Volatile.Read(ref _served);

        public bool Failed => _running.IsFaulted;

        /// <summary>Stops after the current round; returns how many rounds succeeded (throws if one failed).</summary>
        public async Task<int> StopAsync()
        {
            await _stop.CancelAsync();
            return await _running;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _running;
            }
            catch (Exception)
            {
                // Reported by StopAsync where it matters.
            }
        }
    }
}
