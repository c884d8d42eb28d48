using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Polydev.Server.Login.Turn;
using Prometheus;

namespace Polydev.Server.Tests.Login.Turn;

/// <summary>
/// coturn's TURN REST API scheme, checked against values computed outside Polydev with
/// <c>printf %s "$username" | openssl dgst -sha1 -hmac "$secret" -binary | base64</c>.
/// </summary>
public sealed class TurnCredentialsTests
{
    private const string UserId = "0b4f7e0c-5d1a-4e8e-9a39-6f1f0c2d9a11";
    private static readonly IPAddress Gateway = IPAddress.Parse("10.213.0.1");

    [Fact]
    public void The_password_is_base64_of_hmac_sha1_of_the_user_name_under_the_secret()
    {
        Assert.Equal("l3ayNirD1rxAXeKEluac/EtpANw=", TurnCredentials.Password(Encoding.UTF8.GetBytes(TurnTestOptions.Secret), "1700000000:user-1"));
    }

    [Fact]
    public void A_credential_expires_the_lifetime_after_now_by_the_clock_and_each_end_gets_its_own_urls()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var (credentials, metrics) = Create(new TurnOptions { Secret = TurnTestOptions.Secret, Binary = "/bin/sh" }, clock);

        var servers = credentials.Issue(UserId, Gateway)!;

        Assert.Equal($"1700000900:{UserId}", servers.Viewer.Username);
        Assert.Equal("5WflhDVkK8flROf28hOe1RSJqh4=", servers.Viewer.Credential);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_900), servers.Viewer.ExpiresAt);
        Assert.Equal(["turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"], servers.Viewer.Urls);
        Assert.Equal(["turn:10.213.0.1:3478?transport=udp", "turn:10.213.0.1:3478?transport=tcp"], servers.Sandbox.Urls);
        Assert.Equal((servers.Viewer.Username, servers.Viewer.Credential), (servers.Sandbox.Username, servers.Sandbox.Credential));

        clock.Advance(TimeSpan.FromMinutes(10));
        var later = credentials.Issue(UserId, Gateway)!;
        Assert.Equal($"1700001500:{UserId}", later.Viewer.Username);
        Assert.Equal("/FgdiP/62kHO9NIl2d4Tx60qKDU=", later.Viewer.Credential);
        Assert.Equal(2, metrics.CredentialsIssued.Value);
    }

    [Fact]
    public void The_configured_lifetime_ports_and_tls_shape_the_credential()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var options = new TurnOptions
        {
            Secret = TurnTestOptions.Secret,
            Binary = "/bin/sh",
            PublicHost = "2001:db8::7",
            ListeningPort = 3500,
            CredentialLifetime = TimeSpan.FromMinutes(2),
            Certificate = "/etc/polydev/turn.pem",
            PrivateKey = "/etc/polydev/turn.key",
        };

        var servers = Create(options, clock).Credentials.Issue(UserId, IPAddress.Parse("fd00::1"))!;

        Assert.StartsWith("1700000120:", servers.Viewer.Username, StringComparison.Ordinal);
        Assert.Equal(["turn:[2001:db8::7]:3500?transport=udp", "turn:[2001:db8::7]:3500?transport=tcp", "turns:[2001:db8::7]:5349?transport=tcp"], servers.Viewer.Urls);
        Assert.Equal(["turn:[fd00::1]:3500?transport=udp", "turn:[fd00::1]:3500?transport=tcp"], servers.Sandbox.Urls);
    }

    [Fact]
    public void An_external_coturn_gives_its_configured_urls_to_each_end()
    {
        var options = new TurnOptions
        {
            Mode = TurnOptions.External,
            Secret = TurnTestOptions.Secret,
            Binary = "/nonexistent/turnserver",
            Urls = ["turns:turn.example.com:443?transport=tcp"],
            SandboxUrls = ["turn:10.0.0.5:3478?transport=udp"],
        };

        var servers = Create(options, TimeProvider.System).Credentials.Issue(UserId, Gateway)!;

        Assert.Equal(["turns:turn.example.com:443?transport=tcp"], servers.Viewer.Urls);
        Assert.Equal(["turn:10.0.0.5:3478?transport=udp"], servers.Sandbox.Urls);
    }

    [Fact]
    public void No_credential_when_turn_is_off_or_coturn_is_not_installed()
    {
        Assert.Null(Create(new TurnOptions { Mode = TurnOptions.Off, Secret = TurnTestOptions.Secret }, TimeProvider.System).Credentials.Issue(UserId, Gateway));
        Assert.Null(Create(new TurnOptions { Secret = TurnTestOptions.Secret, Binary = "/nonexistent/turnserver" }, TimeProvider.System).Credentials.Issue(UserId, Gateway));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a:b")]
    [InlineData("a b")]
    public void A_user_id_the_scheme_cannot_carry_is_refused(string userId)
    {
        var credentials = Create(new TurnOptions { Secret = TurnTestOptions.Secret, Binary = "/bin/sh" }, TimeProvider.System).Credentials;
        Assert.Throws<ArgumentException>(() => credentials.Issue(userId, Gateway));
    }

    private static (TurnCredentials Credentials, TurnMetrics Metrics) Create(TurnOptions options, TimeProvider clock)
    {
        var metrics = new TurnMetrics(Metrics.NewCustomRegistry());
        var secret = new Lazy<TurnSecret>(() => TurnSecret.Resolve(options, new TurnFiles("/nonexistent")));
        return (new TurnCredentials(Options.Create(options), secret, metrics, clock), metrics);
    }
}
