using Polydev.Server.Egress.Proxy;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Polydev.Testing;

namespace Polydev.Server.Tests.Egress;

/// <summary>A real Squid that requires Basic auth (standing in for Decodo) and an HTTPS target, per test class.</summary>
public sealed class UpstreamFixture : IAsyncLifetime
{
    /// <summary>Decodo-style sticky-session user name with both placeholders.</summary>
    public const string UsernameTemplate = "user-polydev-{port}-session-{session}";

    public string Password { get; } = "upstream-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public SquidProxy Squid { get; private set; } = null!;

    public HttpsTarget Target { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Target = await HttpsTarget.StartAsync();
        Squid = await SquidProxy.StartAsync("nobody-yet", Password);
    }

    public async Task DisposeAsync()
    {
        await Squid.DisposeAsync();
        await Target.DisposeAsync();
    }

    /// <summary>The user name Polydev must present for this user and port (computed here independently of the proxy).</summary>
    public static string ExpectedUsername(Guid userId, int port)
    {
        var session = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("polydev-egress-session|" + userId.ToString("D"))))[..16];
        return UsernameTemplate.Replace("{port}", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("{session}", session, StringComparison.Ordinal);
    }

    /// <summary>A proxy chained to this Squid, whose user Squid knows (unless <paramref name="password"/> is wrong on purpose).</summary>
    public async Task<ProxyHarness> StartProxyAsync(string? password = null, Action<Polydev.Server.Egress.EgressOptions>? configure = null)
    {
        var harness = await ProxyHarness.StartAsync(options =>
        {
            options.AllowedDestinations = [];
            options.Upstream.Url = Squid.Address.ToString();
            options.Upstream.Username = UsernameTemplate;
            options.Upstream.Password = password ?? Password;
            configure?.Invoke(options);
        });
        await Squid.AddUserAsync(ExpectedUsername(harness.UserId, harness.Port), Password);
        return harness;
    }
}

/// <summary>
/// Issue 3, "How it is shown": curl and HttpClient through a user's port, chained to a real
/// upstream that requires Basic auth. The upstream sees Polydev's credentials (with the user's
/// port and sticky session in the user name); neither the client nor the target ever does.
/// </summary>
[Collection(QuietCollection.Name)]
public sealed class UpstreamChainingTests(UpstreamFixture fixture) : IClassFixture<UpstreamFixture>
{
    private HttpsTarget Target => fixture.Target;

    private SquidProxy Squid => fixture.Squid;

    [Fact]
    public async Task Curl_tunnels_through_the_upstream_with_Polydevs_credentials_which_neither_client_nor_target_sees()
    {
        await using var harness = await fixture.StartProxyAsync();
        var username = UpstreamFixture.ExpectedUsername(harness.UserId, harness.Port);

        var curl = await Curl.RunAsync(
            "--verbose", "--proxy", $"http://sandbox:{harness.Token}@127.0.0.1:{harness.Port}",
            "--cacert", Target.AuthorityPemPath, $"https://localhost:{Target.HttpsPort}/echo");

        Assert.True(curl.ExitCode == 0, curl + "\n" + harness.Logs.Text + "\n" + Squid.AccessLog);
        var echo = HttpsTarget.ParseEcho(curl.Output);
        Assert.Equal("/echo", echo.Path);
        Assert.False(echo.Has("Proxy-Authorization"), "the target saw Proxy-Authorization");
        AssertNoUpstreamSecrets(curl.Output + curl.Errors, username);

        var line = await Squid.WaitForAccessLogAsync(l => l.Contains($"url=localhost:{Target.HttpsPort}", StringComparison.Ordinal));
        Assert.Contains($"user={username} method=CONNECT", line, StringComparison.Ordinal);
        Assert.Contains("status=200", line, StringComparison.Ordinal);
        await harness.AssertDrainedAsync(Target.HttpsPort, Squid.Port);
        AssertNoUpstreamSecrets(harness.Logs.Text, username);
        Assert.DoesNotContain(harness.Token, harness.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpClient_with_a_web_proxy_reaches_the_https_target_through_the_upstream()
    {
        await using var harness = await fixture.StartProxyAsync();
        var username = UpstreamFixture.ExpectedUsername(harness.UserId, harness.Port);

        using (var client = new HttpClient(Target.CreateHandler(harness.WebProxy())))
        {
            for (var i = 0; i < 3; i++)
            {
                using var response = await client.GetAsync(new Uri(Target.HttpsBase, "echo"));
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {text}\n{harness.Logs.Text}");
                var echo = HttpsTarget.ParseEcho(text);
                Assert.False(echo.Has("Proxy-Authorization"));
                AssertNoUpstreamSecrets(response.Headers + text, username);
            }

            var download = await client.GetByteArrayAsync(new Uri(Target.HttpsBase, "bytes/3000000"));
            Assert.Equal(3_000_000, download.Length);
            Assert.Equal(HttpsTarget.ExpectedByte(2_999_999), download[^1]);
            Assert.True(harness.Proxy.GetUsage(harness.UserId).BytesDown > 3_000_000);
        }

        var line = await Squid.WaitForAccessLogAsync(l => l.Contains($"user={username} method=CONNECT url=localhost:{Target.HttpsPort}", StringComparison.Ordinal));
        Assert.Contains("status=200", line, StringComparison.Ordinal);
        await harness.AssertDrainedAsync(Target.HttpsPort, Squid.Port);
    }

    [Fact]
    public async Task Plain_http_goes_through_the_upstream_as_absolute_uri_and_the_client_connection_is_kept()
    {
        await using var harness = await fixture.StartProxyAsync();
        var username = UpstreamFixture.ExpectedUsername(harness.UserId, harness.Port);
        var url = $"http://127.0.0.1:{Target.HttpPort}/echo";

        // Two URLs in one curl run: the second must reuse the first connection.
        var curl = await Curl.RunAsync("--verbose", "--proxy", $"http://sandbox:{harness.Token}@127.0.0.1:{harness.Port}", url + "?first", url + "?second");

        Assert.True(curl.ExitCode == 0, curl + "\n" + harness.Logs.Text);
        Assert.Contains("Re-using existing connection", curl.Errors, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, Regex.Count(curl.Errors, "Connected to 127.0.0.1"));
        foreach (var json in curl.Output.Split("}{").Select((part, i) => i == 0 ? part + "}" : "{" + part))
        {
            var echo = HttpsTarget.ParseEcho(json);
            Assert.False(echo.Has("Proxy-Authorization"), "the target saw Proxy-Authorization");
            Assert.False(echo.Has("Proxy-Connection"));
        }

        AssertNoUpstreamSecrets(curl.Output + curl.Errors, username);
        await Squid.WaitForAccessLogAsync(l => l.Contains($"user={username} method=GET url={url}?second", StringComparison.Ordinal));
        await harness.AssertDrainedAsync(Target.HttpPort, Squid.Port);
    }

    [Fact]
    public async Task Upstream_refusing_Polydevs_credentials_is_a_502_with_that_reason()
    {
        await using var harness = await fixture.StartProxyAsync(password: "not-the-password");

        var curl = await Curl.RunAsync("--verbose", "--proxy", $"http://sandbox:{harness.Token}@127.0.0.1:{harness.Port}", "--cacert", Target.AuthorityPemPath, $"https://localhost:{Target.HttpsPort}/echo");
        Assert.NotEqual(0, curl.ExitCode);
        Assert.Contains("< HTTP/1.1 502", curl.Errors, StringComparison.Ordinal);
        await harness.AssertLoggedAsync("upstream proxy refused Polydev");
        Assert.DoesNotContain("not-the-password", curl.Errors, StringComparison.Ordinal);

        await using (var raw = await RawConnection.ConnectAsync(harness.Port))
        {
            await raw.SendAsync($"GET http://127.0.0.1:{Target.HttpPort}/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
            var response = await raw.ReadResponseAsync();
            Assert.Equal(502, response.Status);
            Assert.Equal(ProxyResponses.PublicReason(502), response.Text.Trim());
            Assert.Null(response.Header("Proxy-Authenticate"));
        }

        Assert.Contains("polydev_egress_refusals_total{reason=\"upstream\"} 2", await harness.MetricsTextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", harness.Logs.Text, StringComparison.Ordinal);
        await harness.AssertDrainedAsync(Target.HttpsPort, Target.HttpPort, Squid.Port);
    }

    [Fact]
    public async Task Upstream_down_is_a_502_saying_so_and_leaves_nothing_behind()
    {
        int closedPort;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var harness = await ProxyHarness.StartAsync(options =>
        {
            options.Upstream.Url = $"http://127.0.0.1:{closedPort}";
            options.Upstream.Username = "user";
            options.Upstream.Password = fixture.Password;
        });

        using var client = new HttpClient(Target.CreateHandler(harness.WebProxy()));
        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(Target.HttpsBase));
        Assert.Contains("502", failure.Message, StringComparison.Ordinal);

        await using var raw = await RawConnection.ConnectAsync(harness.Port);
        await raw.SendAsync($"CONNECT localhost:{Target.HttpsPort} HTTP/1.1\r\nHost: localhost\r\nProxy-Authorization: {RawConnection.Basic(harness.Token)}\r\n\r\n");
        var response = await raw.ReadResponseAsync();
        Assert.Equal(502, response.Status);
        Assert.Equal(ProxyResponses.PublicReason(502), response.Text.Trim());
        await harness.AssertLoggedAsync("upstream proxy unreachable");
        Assert.DoesNotContain(closedPort.ToString(CultureInfo.InvariantCulture), response.Text, StringComparison.Ordinal);
        await raw.DisposeAsync();
        client.Dispose();
        await harness.AssertDrainedAsync(closedPort);
    }

    [Fact]
    public async Task Upstream_that_never_answers_is_a_502_after_the_connect_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    held.Add(await silent.AcceptSocketAsync());
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        });

        await using var harness = await ProxyHarness.StartAsync(options =>
        {
            options.Upstream.Url = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
            options.ConnectTimeout = TimeSpan.FromSeconds(1);
        });

        await using var raw = await RawConnection.ConnectAsync(harness.Port);
        var started = System.Diagnostics.Stopwatch.StartNew();
        await raw.SendAsync($"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Bearer {harness.Token}\r\n\r\n");
        var response = await raw.ReadResponseAsync();
        Assert.Equal(502, response.Status);
        Assert.Equal(ProxyResponses.PublicReason(502), response.Text.Trim());
        await harness.AssertLoggedAsync("upstream proxy did not answer CONNECT within 1 s");
        Assert.InRange(started.Elapsed.TotalSeconds, 0.9, 5);
        await raw.DisposeAsync();
        await harness.AssertDrainedAsync(((IPEndPoint)silent.LocalEndpoint).Port);
        silent.Stop();
        await accepting;
        held.ForEach(s => s.Dispose());
    }

    private void AssertNoUpstreamSecrets(string text, string? username)
    {
        Assert.DoesNotContain(fixture.Password, text, StringComparison.Ordinal);
        if (username is not null)
        {
            Assert.DoesNotContain(username, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":" + fixture.Password)), text, StringComparison.Ordinal);
        }
    }
}
