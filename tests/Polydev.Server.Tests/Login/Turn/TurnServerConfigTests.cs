using Polydev.Server.Login.Turn;

namespace Polydev.Server.Tests.Login.Turn;

/// <summary>What the rendered turnserver.conf says; <see cref="CoturnTests"/> shows the real coturn doing it.</summary>
public sealed class TurnServerConfigTests
{
    private static readonly TurnSecret Secret = TurnSecret.Resolve(new TurnOptions { Secret = TurnTestOptions.Secret }, new TurnFiles("/nonexistent"));

    [Fact]
    public void Peers_are_refused_everywhere_but_the_relay_address()
    {
        var lines = Lines(TurnServerConfig.Render(new TurnOptions(), Secret));

        var denyV4 = lines.IndexOf("denied-peer-ip=0.0.0.0-255.255.255.255");
        var denyV6 = lines.IndexOf("denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        var allow = lines.IndexOf("allowed-peer-ip=127.0.0.2");
        Assert.True(denyV4 >= 0 && denyV6 > denyV4 && allow > denyV6, string.Join('\n', lines));
        Assert.Single(lines, l => l.StartsWith("allowed-peer-ip=", StringComparison.Ordinal));
        Assert.Contains("relay-ip=127.0.0.2", lines);
        // A loopback relay address needs loopback peers, which coturn refuses before reading its lists.
        Assert.Contains("allow-loopback-peers", lines);
        Assert.Contains("no-tcp-relay", lines);
        Assert.Contains("no-multicast-peers", lines);
    }

    [Fact]
    public void A_relay_address_that_is_not_loopback_keeps_loopback_peers_refused()
    {
        var lines = Lines(TurnServerConfig.Render(new TurnOptions { RelayAddress = "192.0.2.10" }, Secret));

        Assert.DoesNotContain("allow-loopback-peers", lines);
        Assert.Contains("allowed-peer-ip=192.0.2.10", lines);
    }

    [Fact]
    public void The_config_authenticates_by_the_shared_secret_and_turns_off_what_polydev_does_not_use()
    {
        var options = TurnTestOptions.Create();
        var config = TurnServerConfig.Render(options, Secret);
        var lines = Lines(config);

        Assert.Contains("use-auth-secret", lines);
        Assert.Contains($"static-auth-secret={TurnTestOptions.Secret}", lines);
        Assert.Equal(1, config.Split(TurnTestOptions.Secret).Length - 1);
        Assert.Contains("realm=polydev", lines);
        Assert.Contains($"listening-port={options.ListeningPort}", lines);
        Assert.Contains("listening-ip=127.0.0.1", lines);
        Assert.Contains($"min-port={options.MinRelayPort}", lines);
        Assert.Contains($"max-port={options.MaxRelayPort}", lines);
        Assert.Contains("user-quota=12", lines);
        Assert.Contains("total-quota=240", lines);
        foreach (var line in new[] { "fingerprint", "stale-nonce=600", "no-cli", "no-tls", "no-dtls", "log-file=stdout", "no-rfc5780", "no-software-attribute" })
        {
            Assert.Contains(line, lines);
        }

        // Only the embedded server's config names its files and the account it drops to.
        Assert.DoesNotContain(lines, l => l.StartsWith("pidfile=", StringComparison.Ordinal) || l.StartsWith("proc-user=", StringComparison.Ordinal));
        var embedded = Lines(TurnServerConfig.Render(options, Secret, new TurnServerRuntime(new TurnFiles("/var/lib/polydev/turn"), "turnserver")));
        Assert.Contains("pidfile=/var/lib/polydev/turn/turnserver.pid", embedded);
        Assert.Contains("proc-user=turnserver", embedded);
        Assert.Contains("proc-group=turnserver", embedded);
        Assert.DoesNotContain(embedded, l => l.StartsWith("userdb=", StringComparison.Ordinal));
        var unprivileged = Lines(TurnServerConfig.Render(options, Secret, new TurnServerRuntime(new TurnFiles("/var/lib/polydev/turn"), null)));
        Assert.Contains("userdb=/var/lib/polydev/turn/turndb", unprivileged);
        Assert.DoesNotContain(unprivileged, l => l.StartsWith("proc-user=", StringComparison.Ordinal));
    }

    [Fact]
    public void With_a_certificate_tls_listens_and_dtls_stays_off()
    {
        var lines = Lines(TurnServerConfig.Render(new TurnOptions { Certificate = "/etc/polydev/turn.pem", PrivateKey = "/etc/polydev/turn.key", TlsListeningPort = 5350 }, Secret));

        Assert.Contains("cert=/etc/polydev/turn.pem", lines);
        Assert.Contains("pkey=/etc/polydev/turn.key", lines);
        Assert.Contains("tls-listening-port=5350", lines);
        Assert.DoesNotContain("no-tls", lines);
        Assert.Contains("no-dtls", lines);
    }

    [Fact]
    public void The_secret_prints_as_redacted()
    {
        Assert.Equal("[redacted]", Secret.ToString());
        Assert.Equal("[redacted]", $"{Secret}");
    }

    private static List<string> Lines(string config) => config.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList();
}
