using System.Globalization;
using System.Text;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.Server.Login.Turn;
using Polydev.Testing;

namespace Polydev.EndToEnd.Tests;

/// <summary>
/// Issue 15: <c>polydev turn config</c> prints the turnserver.conf from the server's own configuration; the real coturn
/// runs from it and takes credentials made from the same secret. The secret reaches stdout and nothing else.
/// </summary>
public sealed class TurnConfigTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("polydev-e2e-turn-").FullName;
    private readonly Cli _cli = new("http://127.0.0.1:9");

    [Fact]
    public async Task The_printed_config_runs_coturn_with_the_secret_the_embedded_server_keeps()
    {
        var (port, environment) = Environment();
        var printed = (await _cli.RunAsync(["turn", "config"], environment: environment)).Succeeded();
        var secret = (await File.ReadAllTextAsync(Path.Combine(_data, "turn", "secret"))).Trim();

        Assert.Equal("", printed.Stderr);
        Assert.Equal(1, printed.Stdout.Split(secret).Length - 1);
        Assert.Contains($"static-auth-secret={secret}", printed.Stdout, StringComparison.Ordinal);
        Assert.Contains("allowed-peer-ip=127.0.0.2", printed.Stdout, StringComparison.Ordinal);
        Assert.Equal(printed.Stdout, (await _cli.RunAsync(["turn", "config"], environment: environment)).Succeeded().Stdout);
        environment.Remove("POLYDEV_DATA");
        Assert.Equal(printed.Stdout, (await _cli.RunAsync(["turn", "config", "--data", _data], environment: environment)).Succeeded().Stdout);

        await using var coturn = await Coturn.StartAsync(printed.Stdout, port);
        await AssertAllocatesAsync(coturn, secret, "user-7");
    }

    [Fact]
    public async Task With_a_secret_file_the_config_serves_an_external_coturn()
    {
        const string Secret = "operator-kept-secret-3f9a1c0b77";
        var file = Path.Combine(_data, "turn-secret");
        await File.WriteAllTextAsync(file, Secret + "\n");
        var (port, environment) = Environment();
        environment["POLYDEV_LOGIN__TURN__MODE"] = "external";

        var printed = (await _cli.RunAsync(["turn", "config", "--secret-file", file], environment: environment)).Succeeded();

        Assert.Contains($"static-auth-secret={Secret}", printed.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_data, "turn")), "no secret is generated when one is given");
        await using var coturn = await Coturn.StartAsync(printed.Stdout, port);
        await AssertAllocatesAsync(coturn, Secret, "user-8");
    }

    [Fact]
    public async Task Bad_input_is_one_line_naming_what_to_fix_and_never_the_secret()
    {
        var (_, environment) = Environment();
        environment["POLYDEV_LOGIN__TURN__RELAYADDRESS"] = "relay.example.com";
        var relay = (await _cli.RunAsync(["turn", "config"], environment: environment)).FailedWithOneLine();
        Assert.Equal("polydev turn config: Login:Turn:RelayAddress 'relay.example.com' must be one unicast IP address of this host.", relay);

        (_, environment) = Environment();
        environment["POLYDEV_LOGIN__TURN__MODE"] = "external";
        Assert.Contains("set Login:Turn:Secret (POLYDEV_LOGIN__TURN__SECRET) or pass --secret-file FILE", (await _cli.RunAsync(["turn", "config"], environment: environment)).FailedWithOneLine(), StringComparison.Ordinal);

        var missing = (await _cli.RunAsync(["turn", "config", "--secret-file", "/nonexistent/secret"], environment: environment)).FailedWithOneLine(exitCode: 2);
        Assert.Equal("polydev turn config: --secret-file: cannot read the secret file /nonexistent/secret: it does not exist.", missing);

        var weak = Path.Combine(_data, "weak");
        await File.WriteAllTextAsync(weak, "has a space in it\n");
        var refused = await _cli.RunAsync(["turn", "config", "--secret-file", weak], environment: environment);
        Assert.Contains($"The secret in {weak} must be 16–256 characters", refused.FailedWithOneLine(exitCode: 2), StringComparison.Ordinal);
        Assert.DoesNotContain("has a space", refused.Stderr + refused.Stdout, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    /// <summary>The server's data directory and a coturn of the test's own: loopback only, on free ports.</summary>
    private (int Port, Dictionary<string, string?> Environment) Environment()
    {
        var port = FreePorts.FindBlock(13);
        string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
        return (port, new Dictionary<string, string?>
        {
            ["POLYDEV_DATA"] = _data,
            ["POLYDEV_LOGIN__TURN__LISTENINGPORT"] = Text(port),
            ["POLYDEV_LOGIN__TURN__LISTENINGADDRESSES__0"] = "127.0.0.1",
            ["POLYDEV_LOGIN__TURN__MINRELAYPORT"] = Text(port + 1),
            ["POLYDEV_LOGIN__TURN__MAXRELAYPORT"] = Text(port + 12),
        });
    }

    private static async Task AssertAllocatesAsync(Coturn coturn, string secret, string userId)
    {
        var username = $"{DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds()}:{userId}";
        await using var client = await TurnTestClient.ConnectAsync(coturn.Endpoint);
        var answer = await client.AllocateAsync(username, TurnCredentials.Password(Encoding.UTF8.GetBytes(secret), username));
        Assert.True(answer.ErrorCode == 0, $"{answer}\n{coturn.Output}");
    }
}
