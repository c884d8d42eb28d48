using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Options;
using Polydev.Server.Login.Turn;
using Polydev.Testing;
using Prometheus;

namespace Polydev.Server.Tests.Login.Turn;

/// <summary>
/// The rendered config and the issued credentials against the real coturn (Debian's 4.6.1), through a TURN client
/// written from the RFCs (<see cref="TurnTestClient"/>): what coturn accepts, refuses and relays.
/// </summary>
public sealed class CoturnTests
{
    private const string UserId = "7d1f3c52-1111-4c3b-9a0e-0123456789ab";

    [Fact]
    public async Task The_rendered_config_is_accepted_and_coturn_listens_on_udp_and_tcp()
    {
        var options = TurnTestOptions.Create();
        await using var coturn = await Coturn.StartAsync(Render(options), options.ListeningPort);

        Assert.DoesNotContain("Bad configuration format", coturn.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("CONFIG ERROR", coturn.Output, StringComparison.Ordinal);
        Assert.Contains("Relay address to use: 127.0.0.2", coturn.Output, StringComparison.Ordinal);
        Assert.Contains("--no-tcp-relay", coturn.Output, StringComparison.Ordinal);
        foreach (var tcp in new[] { false, true })
        {
            await using var client = await TurnTestClient.ConnectAsync(coturn.Endpoint, tcp);
            var servers = Credentials(options).Issue(UserId, IPAddress.Loopback)!;
            var answer = await client.AllocateAsync(servers.Viewer.Username, servers.Viewer.Credential);
            Assert.True(answer.ErrorCode == 0, $"{(tcp ? "TCP" : "UDP")}: {answer}\n{coturn.Output}");
            Assert.Equal(IPAddress.Parse("127.0.0.2"), client.Relayed!.Address);
            Assert.InRange(client.Relayed.Port, options.MinRelayPort, options.MaxRelayPort);
        }
    }

    [Fact]
    public async Task A_wrong_password_an_expired_or_a_forged_user_name_is_refused()
    {
        var options = TurnTestOptions.Create();
        await using var coturn = await Coturn.StartAsync(Render(options), options.ListeningPort);
        var good = Credentials(options).Issue(UserId, IPAddress.Loopback)!.Viewer;
        var secret = Encoding.UTF8.GetBytes(TurnTestOptions.Secret);

        var expiredName = $"{DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds()}:{UserId}";
        var laterName = $"{good.ExpiresAt.AddHours(1).ToUnixTimeSeconds()}:{UserId}";
        var refused = new (string Case, string Username, string Password)[]
        {
            ("wrong password", good.Username, TurnCredentials.Password(Encoding.UTF8.GetBytes("another-secret-0123456789"), good.Username)),
            ("expired", expiredName, TurnCredentials.Password(secret, expiredName)),
            ("expiry moved, old password", laterName, good.Credential),
        };
        foreach (var (name, username, password) in refused)
        {
            await using var client = await TurnTestClient.ConnectAsync(coturn.Endpoint);
            var answer = await client.AllocateAsync(username, password);
            Assert.True(answer.ErrorCode == 401, $"{name}: {answer}");
            Assert.Null(client.Relayed);
        }

        // The control: the genuine credential on the same server.
        await using var genuine = await TurnTestClient.ConnectAsync(coturn.Endpoint);
        Assert.Equal(0, (await genuine.AllocateAsync(good.Username, good.Credential)).ErrorCode);
    }

    [Fact]
    public async Task Only_the_relay_address_is_a_peer_so_two_ends_relay_to_each_other_and_nothing_else()
    {
        var options = TurnTestOptions.Create();
        await using var coturn = await Coturn.StartAsync(Render(options), options.ListeningPort);
        var servers = Credentials(options).Issue(UserId, IPAddress.Loopback)!;
        await using var viewer = await TurnTestClient.ConnectAsync(coturn.Endpoint);
        await using var sandbox = await TurnTestClient.ConnectAsync(coturn.Endpoint, tcp: true);
        Assert.Equal(0, (await viewer.AllocateAsync(servers.Viewer.Username, servers.Viewer.Credential)).ErrorCode);
        Assert.Equal(0, (await sandbox.AllocateAsync(servers.Sandbox.Username, servers.Sandbox.Credential)).ErrorCode);

        foreach (var forbidden in ForbiddenPeers())
        {
            var answer = await viewer.CreatePermissionAsync(forbidden);
            Assert.True(answer.ErrorCode == 403, $"a permission for {forbidden} must be refused, got {answer}");
        }

        Assert.Equal(0, (await viewer.CreatePermissionAsync(sandbox.Relayed!.Address)).ErrorCode);
        Assert.Equal(0, (await sandbox.CreatePermissionAsync(viewer.Relayed!.Address)).ErrorCode);
        await viewer.SendAsync(sandbox.Relayed, Encoding.UTF8.GetBytes("frame from the viewer"));
        var received = await sandbox.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(received);
        Assert.Equal(viewer.Relayed, received.Value.Peer);
        Assert.Equal("frame from the viewer", Encoding.UTF8.GetString(received.Value.Data));

        await sandbox.SendAsync(viewer.Relayed, Encoding.UTF8.GetBytes("frame from the sandbox"));
        Assert.Equal("frame from the sandbox", Encoding.UTF8.GetString((await viewer.ReceiveAsync(TimeSpan.FromSeconds(5)))!.Value.Data));
    }

    [Fact]
    public async Task With_a_certificate_coturn_listens_for_tls_too()
    {
        var options = TurnTestOptions.Create();
        options.TlsListeningPort = FreePorts.FindBlock(1);
        var (authority, leaf) = TestCertificates.CreateLocalhost();
        using (authority)
        using (leaf)
        {
            var directory = Directory.CreateTempSubdirectory("polydev-turn-tls-").FullName;
            options.Certificate = Path.Combine(directory, "cert.pem");
            options.PrivateKey = Path.Combine(directory, "key.pem");
            await File.WriteAllTextAsync(options.Certificate, leaf.ExportCertificatePem());
            await File.WriteAllTextAsync(options.PrivateKey, leaf.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

            await using var coturn = await Coturn.StartAsync(Render(options), options.ListeningPort);
            Assert.True(await Coturn.AcceptsAsync(new IPEndPoint(IPAddress.Loopback, options.TlsListeningPort)), coturn.Output);
            Assert.DoesNotContain("Bad configuration format", coturn.Output, StringComparison.Ordinal);
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The host's own loopback and interface addresses, the sandbox gateway and a public address.</summary>
    private static IEnumerable<IPAddress> ForbiddenPeers()
    {
        var host = NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        return new[] { IPAddress.Loopback, IPAddress.Parse("127.0.0.3"), IPAddress.Parse("10.213.0.1"), IPAddress.Parse("192.168.1.1"), IPAddress.Parse("8.8.8.8") }.Concat(host).Distinct();
    }

    internal static string Render(TurnOptions options) =>
        TurnServerConfig.Render(options, TurnSecret.Resolve(options, new TurnFiles("/nonexistent")));

    internal static TurnCredentials Credentials(TurnOptions options) =>
        new(Options.Create(options), new Lazy<TurnSecret>(() => TurnSecret.Resolve(options, new TurnFiles("/nonexistent"))), new TurnMetrics(Metrics.NewCustomRegistry()), TimeProvider.System);
}
