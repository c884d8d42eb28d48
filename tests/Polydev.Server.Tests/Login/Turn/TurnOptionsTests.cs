using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Polydev.Server.Hosting;
using Polydev.Server.Login.Turn;

namespace Polydev.Server.Tests.Login.Turn;

/// <summary>A <c>Login:Turn</c> setting that cannot work stops the server at start, in a sentence naming it.</summary>
public sealed class TurnOptionsTests
{
    [Theory]
    [InlineData("Mode", "bogus", "Login:Turn:Mode 'bogus' is not known")]
    [InlineData("Realm", "has space", "Login:Turn:Realm")]
    [InlineData("ListeningPort", "70000", "Login:Turn:ListeningPort 70000 is not a port")]
    [InlineData("ListeningAddresses:0", "localhost", "Login:Turn:ListeningAddresses holds 'localhost'")]
    [InlineData("PublicHost", "bad host/", "Login:Turn:PublicHost")]
    [InlineData("RelayAddress", "0.0.0.0", "Login:Turn:RelayAddress '0.0.0.0' must be one unicast IP address")]
    [InlineData("RelayAddress", "relay.example.com", "Login:Turn:RelayAddress")]
    [InlineData("MinRelayPort", "60000", "Login:Turn:MinRelayPort–MaxRelayPort 60000–49260")]
    [InlineData("ListeningPort", "49200", "Login:Turn:ListeningPort 49200 lies inside the relay range")]
    [InlineData("CredentialLifetime", "2.00:00:00", "Login:Turn:CredentialLifetime must be between")]
    [InlineData("UserQuota", "0", "Login:Turn:UserQuota")]
    [InlineData("Certificate", "/etc/turn.pem", "Login:Turn:Certificate and Login:Turn:PrivateKey go together")]
    [InlineData("ProcessUser", "root;x", "Login:Turn:ProcessUser")]
    public void A_bad_setting_is_refused_with_its_name(string key, string value, string expected)
    {
        var error = Assert.Throws<TurnConfigurationException>(() => Compose(new() { [$"Login:Turn:{key}"] = value }));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_external_coturn_needs_its_secret_and_both_sets_of_urls()
    {
        var noSecret = Assert.Throws<TurnConfigurationException>(() => Compose(new() { ["Login:Turn:Mode"] = "external" }));
        Assert.Contains("Login:Turn:Secret is required", noSecret.Message, StringComparison.Ordinal);

        var noUrls = Assert.Throws<TurnConfigurationException>(() => Compose(new() { ["Login:Turn:Mode"] = "external", ["Login:Turn:Secret"] = TurnTestOptions.Secret }));
        Assert.Contains("Login:Turn:Urls is required", noUrls.Message, StringComparison.Ordinal);

        var badUrl = Assert.Throws<TurnConfigurationException>(() => Compose(new()
        {
            ["Login:Turn:Mode"] = "external",
            ["Login:Turn:Secret"] = TurnTestOptions.Secret,
            ["Login:Turn:Urls:0"] = "turn:turn.example.com:3478",
            ["Login:Turn:SandboxUrls:0"] = "http://10.0.0.5:3478",
        }));
        Assert.Contains("Login:Turn:SandboxUrls holds 'http://10.0.0.5:3478', which is not a turn: or turns: URL", badUrl.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_weak_secret_is_refused_without_being_repeated()
    {
        var error = Assert.Throws<TurnConfigurationException>(() => Compose(new() { ["Login:Turn:Secret"] = "short secret!" }));
        Assert.Contains("Login:Turn:Secret must be 16–256 characters", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short secret!", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void With_turn_off_nothing_else_is_checked_and_the_defaults_are_valid()
    {
        Compose(new() { ["Login:Turn:Mode"] = "off", ["Login:Turn:RelayAddress"] = "nope" });
        Compose(new());
    }

    [Fact]
    public void The_server_refuses_to_start_on_a_bad_setting()
    {
        var error = Assert.Throws<TurnConfigurationException>(() => PolydevServer.Build(new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Data"] = Path.Combine(Path.GetTempPath(), "polydev-turn-never-" + Guid.NewGuid().ToString("N")),
            ["Login:Turn:Mode"] = "sometimes",
        }));
        Assert.Contains("Login:Turn:Mode 'sometimes' is not known; use 'embedded', 'external' or 'off'.", error.Message, StringComparison.Ordinal);
    }

    private static void Compose(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        new ServiceCollection().AddTurn(configuration);
    }
}
