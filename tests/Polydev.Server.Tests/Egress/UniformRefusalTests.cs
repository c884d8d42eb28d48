using System.Net;
using System.Text;
using Polydev.Server.Egress.Proxy;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// Issue 13, finding 4: refusals told the client what a name resolved to (in the body and an
/// <c>X-Polydev-Egress-Reason</c> header) and which token check failed. Now every cause of one kind gets the very same
/// bytes; the cause is in the proxy's log line and its bounded metric label.
/// </summary>
public sealed class UniformRefusalTests
{
    [Fact]
    public async Task Every_cause_of_a_refusal_kind_gets_the_same_bytes_and_no_address()
    {
        var network = new ScriptedNetwork()
            .Answer("private.test", [IPAddress.Parse("10.1.2.3")])
            .Answer("metadata.test", [IPAddress.Parse("169.254.169.254")])
            .Answer("mixed.test", [IPAddress.Parse("93.184.216.34"), IPAddress.Parse("192.168.7.7")])
            .Answer("empty.test", [])
            .Answer("refusing.test", [IPAddress.Parse("93.184.216.34")]);
        await using var harness = await ProxyHarness.StartAsync(options => options.AllowedDestinations = [], network);
        var (_, otherToken, _) = await harness.AddUserAsync();
        var revoked = harness.Tokens.Issue(harness.UserId);
        harness.Tokens.Revoke(revoked);
        string Connect(string authority, string? authorization) =>
            $"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n{(authorization is null ? "" : $"Proxy-Authorization: {authorization}\r\n")}\r\n";
        var valid = RawConnection.Basic(harness.Token);

        var kinds = new (int Status, string[] Requests)[]
        {
            (407, [
                Connect("example.test:443", null), Connect("example.test:443", RawConnection.Basic("pd_p_not-a-token")),
                Connect("example.test:443", RawConnection.Basic(revoked)), Connect("example.test:443", RawConnection.Basic(otherToken)),
                Connect("example.test:443", "Digest username=\"x\""), Connect("example.test:443", "Bearer " + revoked),
            ]),
            (403, [
                Connect("10.1.2.3:443", valid), Connect("[fd00::1]:443", valid), Connect("private.test:443", valid),
                Connect("metadata.test:80", valid), Connect("mixed.test:443", valid), Connect("[2002:a01:203::1]:443", valid),
            ]),
            (502, [
                Connect("no-such-name.test:443", valid), Connect("empty.test:443", valid), Connect("refusing.test:443", valid),
                Connect("93.184.216.34:443", valid),
            ]),
        };

        foreach (var (status, requests) in kinds)
        {
            var answers = new List<string>();
            foreach (var request in requests)
            {
                await using var raw = await RawConnection.ConnectAsync(harness.Port);
                await raw.SendAsync(request);
                var response = await raw.ReadResponseAsync();
                Assert.True(response.Status == status, $"{request.Split('\r')[0]}: {response.Status}");
                Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("X-Polydev", StringComparison.OrdinalIgnoreCase));
                var text = $"{response.Status} {response.Reason}\n{string.Join('\n', response.Headers.Select(h => $"{h.Key}: {h.Value}"))}\n\n{Encoding.UTF8.GetString(response.Body)}";
                foreach (var address in new[] { "10.1.2.3", "169.254.169.254", "192.168.7.7", "93.184.216.34", "fd00", "2002" })
                {
                    Assert.DoesNotContain(address, text, StringComparison.Ordinal);
                }

                answers.Add(text);
            }

            Assert.True(answers.Distinct().Count() == 1, $"{status}: {answers.Distinct().Count()} different answers:\n{string.Join("\n---\n", answers.Distinct())}");
            Assert.EndsWith("\n\n" + ProxyResponses.PublicReason(status) + "\n", answers[0], StringComparison.Ordinal);
        }

        // What the client is no longer told is where the operator looks: the exchange's log line and the metric label.
        await harness.AssertLoggedAsync("private.test resolves to 10.1.2.3, a private address");
        await harness.AssertLoggedAsync("the egress token is not for this port");
        await harness.AssertLoggedAsync("no-such-name.test could not be resolved");
        var metrics = await harness.MetricsTextAsync();
        Assert.Contains("polydev_egress_refusals_total{reason=\"auth\"} 6", metrics, StringComparison.Ordinal);
        Assert.Contains("polydev_egress_refusals_total{reason=\"blocked\"} 6", metrics, StringComparison.Ordinal);
        Assert.Contains("polydev_egress_refusals_total{reason=\"unreachable\"} 4", metrics, StringComparison.Ordinal);
    }
}
