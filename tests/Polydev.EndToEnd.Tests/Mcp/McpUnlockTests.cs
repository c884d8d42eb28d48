using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ModelContextProtocol.Client;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Mcp;

/// <summary>
/// How <c>polydev mcp</c> opens the vault with nobody to ask (docs/mcp.md, "Unlocking"), and its Streamable HTTP
/// transport. A real server without sandboxes: these tools read the vault, they run no CLI.
/// </summary>
public sealed class McpUnlockTests
{
    [Fact]
    public async Task A_locked_vault_is_a_tool_error_naming_the_command_at_once_and_status_still_answers()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        using var cli = new Cli(server.Url);
        await cli.SignupAsync($"mcp-locked-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));

        // Signed in, no POLYDEV_SESSION: the agent started the MCP server from its own environment.
        var metricsPort = ServerProcess.FreePort();
        await using var mcp = await McpProcess.StartAsync(cli, withSession: false, arguments: ["--metrics", $"127.0.0.1:{metricsPort}"]);
        var watch = Stopwatch.StartNew();
        var result = await mcp.CallAsync("get_perspectives", new() { ["prompt"] = "Anything." });
        Assert.True(result.IsError);
        Assert.Contains("vault is locked", result.Text(), StringComparison.Ordinal);
        Assert.Contains("`polydev mcp setup`", result.Text(), StringComparison.Ordinal);
        Assert.Contains("POLYDEV_SESSION", result.Text(), StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed.TotalSeconds:F1} s");

        var status = await mcp.CallAsync("get_cli_status", new());
        Assert.False(status.IsError, status.Text());
        Assert.False(status.Structured().GetProperty("unlocked").GetBoolean());
        Assert.Contains("`polydev mcp setup`", status.Text(), StringComparison.Ordinal);

        // With stdio, --metrics serves the MCP server's own series: the locked call counted as such.
        using (var http = new HttpClient())
        {
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
            Assert.Contains("polydev_mcp_tool_calls_total{tool=\"get_perspectives\",outcome=\"locked\"} 1", metrics, StringComparison.Ordinal);
            Assert.Contains("polydev_mcp_tool_calls_total{tool=\"get_cli_status\",outcome=\"ok\"} 1", metrics, StringComparison.Ordinal);
        }

        // A stale session (an older unlock) says so.
        await using var stale = await McpProcess.StartAsync(cli, new Dictionary<string, string?> { ["POLYDEV_SESSION"] = Convert.ToBase64String(new byte[32]).Replace('+', '-').Replace('/', '_').TrimEnd('=') }, withSession: false);
        var staleResult = await stale.CallAsync("list_chats", new());
        Assert.True(staleResult.IsError);
        Assert.Contains("does not open this machine's key cache", staleResult.Text(), StringComparison.Ordinal);

        // Not signed in at all on this machine: sign in first, then set up.
        using var stranger = new Cli(server.Url);
        await using var nobody = await McpProcess.StartAsync(stranger, withSession: false);
        var nobodyResult = await nobody.CallAsync("list_chats", new());
        Assert.True(nobodyResult.IsError);
        Assert.Contains("`polydev login`", nobodyResult.Text(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setup_keeps_a_token_and_the_key_in_the_OS_keyring_and_the_MCP_server_unlocks_from_it_until_removed()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        await using var keyring = await KeyringSession.StartAsync();
        using var cli = new Cli(server.Url);
        var password = Needles.Canary("password");
        await cli.SignupAsync($"mcp-keyring-{Guid.NewGuid():N}@example.com", password);
        (await cli.RunAsync("chats", "new", "kept in the keyring")).Succeeded();

        var setup = (await cli.RunAsync(["mcp", "setup", "--json"], environment: keyring.Environment)).Succeeded();
        var tokenId = setup.Json().GetProperty("tokenId").GetString()!;
        Assert.Contains(tokenId, (await cli.RunAsync("tokens", "list", "--json")).Succeeded().Stdout, StringComparison.Ordinal);
        // The token and the keys are in the keyring, not in the state file.
        var state = await File.ReadAllTextAsync(cli.StatePath);
        Assert.DoesNotContain("pd_t_", state, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetFiles(cli.Home), f => File.ReadAllText(f).Contains("pd_t_", StringComparison.Ordinal));

        // No POLYDEV_SESSION, nothing in the environment but the bus: the keyring opens the vault.
        await using (var mcp = await McpProcess.StartAsync(cli, keyring.Environment, withSession: false))
        {
            var status = await mcp.CallAsync("get_cli_status", new());
            Assert.Equal("keyring", status.Structured().GetProperty("unlocked_by").GetString());
            var chats = await mcp.CallAsync("list_chats", new());
            Assert.Contains("kept in the keyring", chats.Text(), StringComparison.Ordinal);
        }

        // Setup again replaces the entry and revokes the token it held.
        var again = (await cli.RunAsync(["mcp", "setup", "--json"], environment: keyring.Environment)).Succeeded();
        var tokens = (await cli.RunAsync("tokens", "list", "--json")).Succeeded().Stdout;
        Assert.DoesNotContain(tokenId, tokens, StringComparison.Ordinal);
        var secondTokenId = again.Json().GetProperty("tokenId").GetString()!;
        Assert.Contains(secondTokenId, tokens, StringComparison.Ordinal);

        // Remove: the token is revoked and the entry gone; the MCP server is locked again and says what to run.
        var removed = (await cli.RunAsync(["mcp", "remove", "--json"], environment: keyring.Environment)).Succeeded();
        Assert.True(removed.Json().GetProperty("revoked").GetBoolean());
        Assert.DoesNotContain(secondTokenId, (await cli.RunAsync("tokens", "list", "--json")).Succeeded().Stdout, StringComparison.Ordinal);
        await using (var mcp = await McpProcess.StartAsync(cli, keyring.Environment, withSession: false))
        {
            var locked = await mcp.CallAsync("list_chats", new());
            Assert.True(locked.IsError);
            Assert.Contains("`polydev mcp setup`", locked.Text(), StringComparison.Ordinal);
        }

        // With no keyring on the machine, setup says so and names the other ways.
        var noKeyring = await cli.RunAsync(["mcp", "setup"], environment: new Dictionary<string, string?> { ["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bus" });
        Assert.Equal(1, noKeyring.ExitCode);
        Assert.StartsWith("polydev mcp setup: no OS keyring answers on this machine", noKeyring.Stderr, StringComparison.Ordinal);
        Assert.Contains("POLYDEV_SESSION or POLYDEV_PASSWORD", noKeyring.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_API_token_and_the_password_from_the_environment_unlock_without_any_local_state()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        using var cli = new Cli(server.Url);
        var password = Needles.Canary("password");
        await cli.SignupAsync($"mcp-token-{Guid.NewGuid():N}@example.com", password);
        (await cli.RunAsync("chats", "new", "read with an API token")).Succeeded();
        var token = (await cli.RunAsync("tokens", "create", "for the agent")).Succeeded().Stdout.Trim();
        Assert.StartsWith("pd_t_", token, StringComparison.Ordinal);

        // Another machine: no state file; the old package's variable carries the token, as an unchanged config would.
        using var elsewhere = new Cli(server.Url);
        await using var mcp = await McpProcess.StartAsync(elsewhere, new Dictionary<string, string?> { ["POLYDEV_USER_TOKEN"] = token, ["POLYDEV_PASSWORD"] = password }, withSession: false);
        var chats = await mcp.CallAsync("list_chats", new());
        Assert.False(chats.IsError, chats.Text());
        Assert.Contains("read with an API token", chats.Text(), StringComparison.Ordinal);
        Assert.Equal("password", (await mcp.CallAsync("get_cli_status", new())).Structured().GetProperty("unlocked_by").GetString());

        // A wrong password is a clear error, not a hang or a stack trace.
        await using var wrong = await McpProcess.StartAsync(elsewhere, new Dictionary<string, string?> { ["POLYDEV_TOKEN"] = token, ["POLYDEV_PASSWORD"] = "not the password" }, withSession: false);
        var refused = await wrong.CallAsync("list_chats", new());
        Assert.True(refused.IsError);
        Assert.Contains("POLYDEV_PASSWORD did not open the vault", refused.Text(), StringComparison.Ordinal);
        new Needles().AddText("password", password).AddText("API token", token).AssertAbsentFrom("the MCP server's logs", mcp.Logs + wrong.Logs);
    }

    [Fact]
    public async Task Streamable_HTTP_serves_the_same_tools_on_loopback_behind_a_bearer_token()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        using var cli = new Cli(server.Url);
        await cli.SignupAsync($"mcp-http-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));
        (await cli.RunAsync("chats", "new", "over HTTP")).Succeeded();

        var port = ServerProcess.FreePort();
        var bearer = Needles.Canary("bearer");
        var info = PolydevProcess.StartInfo(["mcp", "--http", $"127.0.0.1:{port}"], new Dictionary<string, string?>
        {
            ["POLYDEV_HOME"] = cli.Home,
            ["POLYDEV_SERVER"] = cli.Server,
            ["POLYDEV_SESSION"] = cli.Session,
            ["POLYDEV_MCP_HTTP_TOKEN"] = bearer,
        });
        using var process = Process.Start(info)!;
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        try
        {
            var endpoint = new Uri($"http://127.0.0.1:{port}/mcp");
            using var http = new HttpClient();
            await WaitForListenerAsync(http, port);

            // Without the token, or from a foreign page: refused, as problem details.
            using var anonymous = await http.PostAsync(endpoint, new StringContent("{}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Authorization: Bearer", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var foreign = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
            foreign.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            foreign.Headers.Add("Origin", "https://evil.example");
            using var refused = await http.SendAsync(foreign);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

            // The SDK's HTTP client with the token: the same tools, the same vault.
            await using (var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = endpoint,
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {bearer}" },
            })))
            {
                Assert.Equal(6, (await client.ListToolsAsync()).Count);
                var chats = await client.CallToolAsync("list_chats", new Dictionary<string, object?>());
                Assert.Contains("over HTTP", chats.Text(), StringComparison.Ordinal);
            }

            var metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
            Assert.Contains("polydev_mcp_tool_calls_total{tool=\"list_chats\",outcome=\"ok\"} 1", metrics, StringComparison.Ordinal);
            new Needles().AddText("bearer", bearer).AssertAbsentFrom("the MCP server's logs", stderr.ToString());
        }
        finally
        {
            await PolydevProcess.StopAsync(process);
        }

        // Only loopback: the MCP server acts with the unlocked vault.
        var open = await cli.RunAsync("mcp", "--http", "0.0.0.0:8765");
        Assert.Equal(2, open.ExitCode);
        Assert.Equal("polydev mcp: --http binds to a loopback address only (127.0.0.1 or [::1]): the MCP server acts with your unlocked vault.", open.Stderr.Trim());

        // A token too short to guard anything is refused at start, before anything listens.
        var weak = await cli.RunAsync(["mcp", "--http", $"127.0.0.1:{ServerProcess.FreePort()}"], environment: new Dictionary<string, string?> { ["POLYDEV_MCP_HTTP_TOKEN"] = "  short  " });
        Assert.Equal(2, weak.ExitCode);
        Assert.Equal("polydev mcp: POLYDEV_MCP_HTTP_TOKEN must hold at least 24 characters; a short token guards nothing.", weak.Stderr.Trim());
    }

    private static async Task WaitForListenerAsync(HttpClient http, int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/metrics");
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
