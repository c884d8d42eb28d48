using Polydev.Server.Egress.Proxy;
using System.Net;
using System.Text;
using Polydev.Testing;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// Every request on a port must carry a token of that port's user: no token, a wrong one,
/// another user's, an expired or revoked one, or a malformed header all get 407 with the Basic
/// challenge and a reason — on CONNECT and on absolute-URI requests, with curl and HttpClient.
/// </summary>
public sealed class AuthenticationTests(TargetFixture fixture) : IClassFixture<TargetFixture>
{
    private HttpsTarget Target => fixture.Target;

    [Fact]
    public async Task Requests_without_a_valid_token_of_this_ports_user_get_407_and_valid_forms_pass()
    {
        await using var harness = await ProxyHarness.StartAsync();
        var (_, otherToken, _) = await harness.AddUserAsync();
        var revoked = harness.Tokens.Issue(harness.UserId);
        harness.Tokens.Revoke(revoked);

        var refused = new (string Name, string? Authorization, string Reason)[]
        {
            ("no token", null, "proxy authentication required"),
            ("wrong token", RawConnection.Basic("not-a-token"), "unknown, expired or revoked"),
            ("another user's token", RawConnection.Basic(otherToken), "not for this port"),
            ("revoked or expired token", RawConnection.Basic(revoked), "unknown, expired or revoked"),
            ("revoked token as bearer", "Bearer " + revoked, "unknown, expired or revoked"),
            ("unknown scheme", "Digest username=\"sandbox\"", "must be Basic"),
            ("not base64", "Basic %%%%", "must be Basic"),
            ("empty credentials", "Basic " + Convert.ToBase64String(":"u8.ToArray()), "must be Basic"),
        };
        var accepted = new (string Name, string Authorization)[]
        {
            ("basic, token as password", RawConnection.Basic(harness.Token)),
            ("basic, token as user name", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(harness.Token + ":"))),
            ("bearer", "bearer " + harness.Token),
        };

        var requests = new (string Kind, Func<string?, string> Request, bool Bodyless)[]
        {
            ("CONNECT", auth => $"CONNECT localhost:{Target.HttpsPort} HTTP/1.1\r\nHost: localhost:{Target.HttpsPort}\r\n{Line(auth)}\r\n", true),
            ("absolute URI", auth => $"GET http://127.0.0.1:{Target.HttpPort}/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n{Line(auth)}\r\n", false),
        };

        foreach (var (kind, request, bodyless) in requests)
        {
            // All refusals on one connection: a 407 keeps it open for the client's next try, as HttpClient expects.
            await using var raw = await RawConnection.ConnectAsync(harness.Port);
            foreach (var (name, authorization, reason) in refused)
            {
                await raw.SendAsync(request(authorization));
                var response = await raw.ReadResponseAsync();
                Assert.True(response.Status == 407, $"{kind}, {name}: {response.Status} {response.Text}\n{harness.Logs.Text}");
                Assert.Equal("Basic realm=\"polydev\"", response.Header("Proxy-Authenticate"));
                Assert.Equal(ProxyResponses.PublicReason(407), response.Text.Trim());
                await harness.AssertLoggedAsync(reason);
                Assert.Equal("text/plain; charset=utf-8", response.Header("Content-Type"));
            }

            foreach (var (name, authorization) in accepted)
            {
                await using var fresh = await RawConnection.ConnectAsync(harness.Port);
                await fresh.SendAsync(request(authorization));
                var response = await fresh.ReadResponseAsync(bodyless);
                Assert.True(response.Status == 200, $"{kind}, {name}: {response.Status} {response.Text}");
            }

            // And the refused connection still serves its client once the token is right.
            await raw.SendAsync(request(RawConnection.Basic(harness.Token)));
            Assert.Equal(200, (await raw.ReadResponseAsync(bodyless)).Status);
        }

        var metrics = await harness.MetricsTextAsync();
        Assert.Contains($"polydev_egress_refusals_total{{reason=\"auth\"}} {refused.Length * 2}", metrics, StringComparison.Ordinal);
        await harness.AssertDrainedAsync(Target.HttpsPort, Target.HttpPort);
        foreach (var token in new[] { harness.Token, otherToken, revoked })
        {
            Assert.DoesNotContain(token, harness.Logs.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Curl_needs_the_token_and_gets_407_without_it()
    {
        await using var harness = await ProxyHarness.StartAsync();
        var url = $"https://localhost:{Target.HttpsPort}/small";

        var without = await Curl.RunAsync("--verbose", "--proxy", $"http://127.0.0.1:{harness.Port}", "--cacert", Target.AuthorityPemPath, url);
        Assert.NotEqual(0, without.ExitCode);
        Assert.Contains("< HTTP/1.1 407", without.Errors, StringComparison.Ordinal);

        var wrong = await Curl.RunAsync("--verbose", "--proxy", $"http://sandbox:wrong@127.0.0.1:{harness.Port}", "--cacert", Target.AuthorityPemPath, url);
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("< HTTP/1.1 407", wrong.Errors, StringComparison.Ordinal);

        var right = await Curl.RunAsync("--proxy", $"http://sandbox:{harness.Token}@127.0.0.1:{harness.Port}", "--cacert", Target.AuthorityPemPath, url);
        Assert.True(right.ExitCode == 0, right.ToString());
        Assert.Equal("ok", right.Output);

        var plain = await Curl.RunAsync("--proxy", $"http://sandbox:{harness.Token}@127.0.0.1:{harness.Port}", $"http://127.0.0.1:{Target.HttpPort}/small");
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.Equal("ok", plain.Output);
        await harness.AssertDrainedAsync(Target.HttpsPort, Target.HttpPort);
    }

    [Fact]
    public async Task HttpClient_answers_the_challenge_with_its_credentials_and_fails_with_407_when_they_are_wrong()
    {
        await using var harness = await ProxyHarness.StartAsync();

        using (var client = new HttpClient(Target.CreateHandler(harness.WebProxy())))
        {
            Assert.Equal("ok", await client.GetStringAsync(new Uri(Target.HttpsBase, "small")));
            Assert.Equal("ok", await client.GetStringAsync(new Uri(Target.HttpBase, "small")));
            var echo = HttpsTarget.ParseEcho(await client.GetStringAsync(new Uri(Target.HttpBase, "echo")));
            Assert.False(echo.Has("Proxy-Authorization"));
        }

        using (var wrong = new HttpClient(Target.CreateHandler(harness.WebProxy(token: "wrong"))))
        {
            var failure = await Assert.ThrowsAsync<HttpRequestException>(() => wrong.GetAsync(new Uri(Target.HttpsBase, "small")));
            Assert.Contains("407", failure.Message, StringComparison.Ordinal);
            using var plain = await wrong.GetAsync(new Uri(Target.HttpBase, "small"));
            Assert.Equal(HttpStatusCode.ProxyAuthenticationRequired, plain.StatusCode);
        }

        await harness.AssertDrainedAsync(Target.HttpsPort, Target.HttpPort);
    }

    private static string Line(string? authorization) => authorization is null ? "" : $"Proxy-Authorization: {authorization}\r\n";

    /// <summary>Issue 13, finding 2: an execution's token is bound to its sandbox's address; a copy elsewhere is refused.</summary>
    [Fact]
    public async Task A_token_bound_to_an_address_works_only_from_that_address()
    {
        await using var harness = await ProxyHarness.StartAsync();
        var sandbox = IPAddress.Parse("127.0.0.2");
        var bound = harness.Tokens.Issue(harness.UserId, sandbox);
        var request = $"CONNECT localhost:{Target.HttpsPort} HTTP/1.1\r\nHost: localhost\r\nProxy-Authorization: {RawConnection.Basic(bound)}\r\n\r\n";

        await using (var elsewhere = await RawConnection.ConnectAsync(harness.Port))
        {
            await elsewhere.SendAsync(request);
            var refused = await elsewhere.ReadResponseAsync();
            Assert.Equal(407, refused.Status);
            Assert.Equal(ProxyResponses.PublicReason(407), refused.Text.Trim());
            await harness.AssertLoggedAsync("address 127.0.0.2");
        }

        using var fromSandbox = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        fromSandbox.Bind(new IPEndPoint(sandbox, 0));
        await fromSandbox.ConnectAsync(IPAddress.Loopback, harness.Port);
        await fromSandbox.SendAsync(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[256];
        var read = await fromSandbox.ReceiveAsync(buffer);
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(buffer, 0, read), StringComparison.Ordinal);
    }
}
