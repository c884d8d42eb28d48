using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Polydev.Agent.Protocol;
using Polydev.Contracts.Login;
using Polydev.Crypto;

namespace Polydev.Agent.Tests.Login;

/// <summary>
/// The login agent connecting an account, with a fake Claude Code in the place of the real one (the real CLIs sign in
/// against the providers' doubles in tests/Polydev.EndToEnd.Tests/Login): what the CLI's login is given (the session's
/// browser, the loopback forwarder, no token, no agent secrets), what is captured and how it is sealed, and the refusals:
/// a credential of the wrong shape, a login that ends without one.
/// </summary>
public sealed class AccountLoginTests
{
    private const string File = """{"claudeAiOauth":{"accessToken":"sk-ant-oat01-fake","refreshToken":"sk-ant-ort01-fake","expiresAt":1999999999000,"scopes":["user:inference"]}}""";

    [Fact]
    public async Task The_credential_the_CLI_writes_is_sent_sealed_to_the_user_and_tagged_for_the_client_and_the_sandbox_keeps_none()
    {
        using var user = UserKeyPair.Generate();
        var proofKey = RandomNumberGenerator.GetBytes(CredentialCapture.ProofKeyLength);
        await using var egress = await FakeEgress.StartAsync();
        await using var agent = await LoginAgentProcess.StartAsync(harness => harness.Environment["POLYDEV_AGENT_CLAUDE"] = harness.WriteScript("claude", $$$"""
            [ "$*" = "auth login" ] || { echo "unexpected arguments: $*" >&2; exit 9; }
            env > "$HOME/login-env"
            # Through the session's way out, as the CLI's own token exchange goes.
            curl -s -o /dev/null --max-time 5 -x "$HTTPS_PROXY" https://sign-in.example.test/token || true
            mkdir -p "$HOME/.claude"
            printf '%s' '{{{File}}}' > "$HOME/.claude/.credentials.json"
            printf '%s' '{"oauthAccount":{"emailAddress":"bob@example.com","accountUuid":"u-1"}}' > "$HOME/.claude.json"
            echo "Login successful."
            """), "--ice", "all");
        await agent.OpenAsync(Opening(user.PublicKey, proofKey, egress.ProxyUrl));

        var exit = await agent.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit?.Reason == AgentExitReason.Connected, $"{exit?.Reason}: {await agent.StderrSoFarAsync()}");
        var captured = JsonSerializer.Deserialize(CredentialCapture.Open(user, proofKey, agent.Credential!), LoginJsonContext.Default.LoginCapturedCredential)!;
        Assert.Equal("anthropic", captured.Provider);
        Assert.Equal(File, captured.File);
        Assert.Equal("bob@example.com", captured.Account);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1999999999000), captured.ExpiresAt);
        Assert.True(captured.Refreshable);

        // Another client's proof key does not vouch for it (nor would the server's, which never had one).
        Assert.ThrowsAny<CryptographicException>(() => CredentialCapture.Open(user, RandomNumberGenerator.GetBytes(32), agent.Credential!));

        // The sandbox keeps no copy; the CLI ran with the session's browser and the loopback forwarder, never the token.
        Assert.False(System.IO.File.Exists(Path.Combine(agent.Harness.Home, ".claude", ".credentials.json")));
        var env = await System.IO.File.ReadAllTextAsync(Path.Combine(agent.Harness.Home, "login-env"));
        Assert.Matches("(?m)^HTTPS_PROXY=http://127\\.0\\.0\\.1:\\d+$", env);
        Assert.Matches("(?m)^BROWSER=/.+/xdg-open$", env);
        Assert.Matches("(?m)^DISPLAY=:\\d+$", env);
        Assert.DoesNotContain(FakeEgress.Token, env);
        Assert.DoesNotContain("POLYDEV", env);

        // The forwarder put the session's token on the CONNECT, where the egress proxy checks it (the browser's own
        // requests go the same way, each with the token).
        var connect = Assert.Single(egress.Heads, head => head.StartsWith("CONNECT sign-in.example.test:443 ", StringComparison.Ordinal));
        Assert.All(egress.Heads, head => Assert.Contains("Proxy-Authorization: Basic ", head));
        Assert.Contains("Proxy-Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("polydev:" + FakeEgress.Token)), connect);
    }

    [Fact]
    public async Task A_credential_file_of_the_wrong_shape_is_refused_and_nothing_is_sent()
    {
        using var user = UserKeyPair.Generate();
        await using var agent = await LoginAgentProcess.StartAsync(harness => harness.Environment["POLYDEV_AGENT_CLAUDE"] = harness.WriteScript("claude", """
            mkdir -p "$HOME/.claude"
            printf '%s' '{"apiKey":"sk-ant-api03-not-an-account"}' > "$HOME/.claude/.credentials.json"
            """), "--ice", "all");
        await agent.OpenAsync(Opening(user.PublicKey, RandomNumberGenerator.GetBytes(32), null));

        var (exit, ending) = await EndingAsync(agent);
        Assert.True(exit == AgentExitReason.CredentialRefused, $"{exit}: {ending}\n{await agent.StderrSoFarAsync()}");
        Assert.Contains("no claudeAiOauth", ending);
        Assert.DoesNotContain("sk-ant-api03", ending + await agent.Stderr);
        Assert.Null(agent.Credential);
    }

    [Fact]
    public async Task A_login_that_ends_without_a_credential_says_why()
    {
        using var user = UserKeyPair.Generate();
        await using var agent = await LoginAgentProcess.StartAsync(harness => harness.Environment["POLYDEV_AGENT_CLAUDE"] = harness.WriteScript("claude", """
            echo "Couldn't log in: the sign-in was cancelled." >&2
            exit 1
            """), "--ice", "all");
        await agent.OpenAsync(Opening(user.PublicKey, RandomNumberGenerator.GetBytes(32), null));

        var (exit, ending) = await EndingAsync(agent);
        Assert.True(exit == AgentExitReason.LoginFailed, $"{exit}: {ending}\n{await agent.StderrSoFarAsync()}");
        Assert.Contains("Couldn't log in: the sign-in was cancelled.", ending);
        Assert.Null(agent.Credential);
    }

    private static LoginOpening Opening(byte[] publicKey, byte[] proofKey, string? proxyUrl) => new()
    {
        Width = 640,
        Height = 480,
        Codecs = [LoginCodecs.Vp8],
        ProxyUrl = proxyUrl,
        Connect = new LoginConnect { Provider = "anthropic", RecipientPublicKey = publicKey, ProofKey = proofKey },
    };

    /// <summary>The agent's exit and the reason its last signal (end) gave the viewer.</summary>
    private static async Task<(AgentExitReason? Exit, string Ending)> EndingAsync(LoginAgentProcess agent)
    {
        string ending = "";
        while (await agent.ReceiveAsync(TimeSpan.FromSeconds(60)) is { } signal)
        {
            if (signal.Type == LoginSignalTypes.End)
            {
                ending = signal.Reason ?? "";
            }
        }

        return (agent.Exit?.Reason, ending);
    }

    /// <summary>The egress proxy's place: records each request head and answers 502 (nothing goes further in this test).</summary>
    private sealed class FakeEgress : IAsyncDisposable
    {
        public const string Token = "egress-token-7f3a";

        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<string> _heads = [];
        private Task _serving = Task.CompletedTask;

        public string ProxyUrl => $"http://polydev:{Token}@127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public IReadOnlyList<string> Heads
        {
            get
            {
                lock (_heads)
                {
                    return [.. _heads];
                }
            }
        }

        public static Task<FakeEgress> StartAsync()
        {
            var egress = new FakeEgress();
            egress._listener.Start();
            egress._serving = egress.ServeAsync();
            return Task.FromResult(egress);
        }

        private async Task ServeAsync()
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptSocketAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                using (client)
                {
                    var buffer = new byte[8192];
                    int length = 0;
                    while (length < buffer.Length && buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0)
                    {
                        int read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None);
                        if (read == 0)
                        {
                            break;
                        }

                        length += read;
                    }

                    lock (_heads)
                    {
                        _heads.Add(Encoding.Latin1.GetString(buffer, 0, length));
                    }

                    await client.SendAsync("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _serving;
        }
    }
}
