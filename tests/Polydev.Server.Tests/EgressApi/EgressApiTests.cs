using System.Net;
using System.Text.Json.Nodes;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Contracts.Egress;
using Polydev.Server.Tests.Infrastructure;
using Polydev.Testing;

namespace Polydev.Server.Tests.EgressApi;

/// <summary>
/// The egress API on a running server with its real proxy: a user's port, tokens that open only
/// that port and stop working when revoked, usage that survives a restart, the live check, and
/// the operator's listing.
/// </summary>
public sealed class EgressApiTests
{
    private static Dictionary<string, string?> DirectToLoopback(HttpTarget target, params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Egress:AllowedDestinations:0"] = "127.0.0.1/32",
            ["Egress:WhatIsMyIpUrl"] = new Uri(target.BaseAddress, "/ip").ToString(),
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task A_token_opens_only_its_owners_port_until_revoked_and_usage_is_counted(string engine)
    {
        await using var target = await HttpTarget.StartAsync();
        await using var server = await RunningServer.StartAsync(engine, DirectToLoopback(target));
        var owner = await TestAccount.SignUpAsync(server);
        var other = await TestAccount.SignUpAsync(server);
        using var ownerClient = owner.Client(server);

        var status = (await (await ownerClient.GetAsync(ApiRoutes.Egress)).ReadAsync<EgressStatusResponse>())!;
        Assert.Equal("direct", status.Mode);
        Assert.Equal(status.Port, (await (await ownerClient.GetAsync(ApiRoutes.Egress)).ReadAsync<EgressStatusResponse>())!.Port);
        var created = (await (await ownerClient.PostJsonAsync(ApiRoutes.EgressTokens, new CreateEgressTokenRequest(600))).ReadAsync<EgressTokenCreatedResponse>())!;
        Assert.StartsWith("pd_p_", created.Token);
        Assert.Contains($":{status.Port}", created.ProxyUrl);
        var othersToken = (await (await other.Client(server).PostJsonAsync(ApiRoutes.EgressTokens, new CreateEgressTokenRequest(null))).ReadAsync<EgressTokenCreatedResponse>())!;

        using (var proxied = Through(status.Port, created.Token))
        {
            var body = await proxied.GetByteArrayAsync(new Uri(target.BaseAddress, "/bytes/100000"));
            Assert.Equal(100_000, body.Length);
        }

        Assert.Equal(HttpStatusCode.ProxyAuthenticationRequired, await StatusThroughAsync(status.Port, othersToken.Token, target));
        Assert.Equal(HttpStatusCode.ProxyAuthenticationRequired, await StatusThroughAsync(status.Port, "pd_p_" + new string('x', 43), target));

        var usage = (await (await ownerClient.GetAsync(ApiRoutes.Egress)).ReadAsync<EgressStatusResponse>())!;
        Assert.True(usage.BytesDown >= 100_000, $"bytesDown {usage.BytesDown}");
        Assert.True(usage.BytesUp > 0);

        var listed = (await (await ownerClient.GetAsync(ApiRoutes.EgressTokens)).ReadAsync<List<EgressTokenResponse>>())!;
        Assert.Contains(listed, t => t.Id == created.Id);
        Assert.Equal(HttpStatusCode.NoContent, (await ownerClient.DeleteAsync(ApiRoutes.EgressToken(created.Id))).StatusCode);
        Assert.Equal(HttpStatusCode.ProxyAuthenticationRequired, await StatusThroughAsync(status.Port, created.Token, target));
        Assert.Equal(HttpStatusCode.NotFound, (await other.Client(server).DeleteAsync(ApiRoutes.EgressToken(othersToken.Id) + "0")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ownerClient.DeleteAsync(ApiRoutes.EgressToken(othersToken.Id))).StatusCode);
        Assert.DoesNotContain(created.Token, server.Logs.Text);
    }

    [Fact]
    public async Task Ports_reopen_and_usage_survives_a_restart()
    {
        await using var target = await HttpTarget.StartAsync();
        var first = await RunningServer.StartAsync(RunningServer.Sqlite, DirectToLoopback(target));
        var owner = await TestAccount.SignUpAsync(first);
        var port = (await (await owner.Client(first).GetAsync(ApiRoutes.Egress)).ReadAsync<EgressStatusResponse>())!.Port;
        var token = (await (await owner.Client(first).PostJsonAsync(ApiRoutes.EgressTokens, new CreateEgressTokenRequest(600))).ReadAsync<EgressTokenCreatedResponse>())!.Token;
        using (var proxied = Through(port, token))
        {
            Assert.Equal(50_000, (await proxied.GetByteArrayAsync(new Uri(target.BaseAddress, "/bytes/50000"))).Length);
        }

        var egressPorts = (first.Setting("Egress:FirstPort"), first.Setting("Egress:LastPort"));
        await first.StopKeepingStorageAsync();

        await using var second = await RunningServer.StartAsync(RunningServer.Sqlite, first.DataDirectory, null, DirectToLoopback(
            target, ("Egress:FirstPort", egressPorts.Item1), ("Egress:LastPort", egressPorts.Item2)));
        using (var proxied = Through(port, token))
        {
            Assert.Equal(10, (await proxied.GetByteArrayAsync(new Uri(target.BaseAddress, "/bytes/10"))).Length);
        }

        await owner.LogInAsync(second);
        var status = (await (await owner.Client(second).GetAsync(ApiRoutes.Egress)).ReadAsync<EgressStatusResponse>())!;
        Assert.Equal(port, status.Port);
        Assert.True(status.BytesDown >= 50_010, $"bytesDown {status.BytesDown}");
    }

    [Fact]
    public async Task The_live_check_asks_through_the_users_port_and_says_when_it_cannot()
    {
        await using var target = await HttpTarget.StartAsync();
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, DirectToLoopback(target));
        var owner = await TestAccount.SignUpAsync(server);
        var check = await owner.Client(server).PostAsync(ApiRoutes.EgressCheck, null);
        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        var result = (await check.ReadAsync<EgressCheckResponse>())!;
        Assert.Equal(HttpTarget.ReportedAddress, result.Address);
        Assert.Equal(200, result.Status);
        Assert.Equal("direct", result.Mode);
        Assert.Empty((await (await owner.Client(server).GetAsync(ApiRoutes.EgressTokens)).ReadAsync<List<EgressTokenResponse>>())!);

        await using var unconfigured = await RunningServer.StartAsync(RunningServer.Sqlite);
        var user = await TestAccount.SignUpAsync(unconfigured);
        var refused = await user.Client(unconfigured).PostAsync(ApiRoutes.EgressCheck, null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("WhatIsMyIpUrl", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_live_check_leaves_through_the_upstream_with_polydevs_sticky_session_credentials()
    {
        await using var target = await HttpTarget.StartAsync();
        var account = TestAccount.Create();
        var session = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("polydev-egress-session|" + account.UserId.ToString("D"))))[..16];
        var upstreamUser = $"user-acme-session-{session}";
        await using var squid = await SquidProxy.StartAsync(upstreamUser, "upstream-secret-" + Guid.NewGuid().ToString("N"));
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, new Dictionary<string, string?>
        {
            ["Egress:Upstream:Url"] = squid.Address.ToString(),
            ["Egress:Upstream:Username"] = "user-acme-session-{session}",
            ["Egress:Upstream:Password"] = squid.Password,
            ["Egress:WhatIsMyIpUrl"] = new Uri(target.BaseAddress, "/ip").ToString(),
        });
        Assert.Equal(HttpStatusCode.Created, (await server.Client.PostJsonAsync(ApiRoutes.Accounts, account.SignupRequest())).StatusCode);
        await account.LogInAsync(server);

        var check = (await (await account.Client(server).PostAsync(ApiRoutes.EgressCheck, null)).ReadAsync<EgressCheckResponse>())!;
        Assert.Equal(HttpTarget.ReportedAddress, check.Address);
        Assert.Equal("upstream", check.Mode);
        var seen = await squid.WaitForAccessLogAsync(log => log.Contains("/ip", StringComparison.Ordinal));
        Assert.Contains($"user={upstreamUser}", seen);
        Assert.DoesNotContain(squid.Password!, server.Logs.Text);
    }

    [Fact]
    public async Task Only_configured_admins_signed_in_with_a_password_see_the_port_list()
    {
        await using var target = await HttpTarget.StartAsync();
        var adminEmail = $"ops-{Guid.NewGuid():N}@example.test";
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, DirectToLoopback(target, ("Admin:Emails:0", adminEmail.ToUpperInvariant())));
        var admin = await TestAccount.SignUpAsync(server, adminEmail);
        var user = await TestAccount.SignUpAsync(server);
        var port = (await (await user.Client(server).GetAsync(ApiRoutes.Egress)).ReadAsync<EgressStatusResponse>())!.Port;

        var listing = await admin.Client(server).GetAsync(ApiRoutes.AdminEgressPorts);
        Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
        var row = Assert.Single((await listing.ReadAsync<Page<AdminEgressPortResponse>>())!.Items);
        Assert.Equal((user.UserId, user.Email, port), (row.UserId, row.Email, row.Port));

        Assert.Equal(HttpStatusCode.Forbidden, (await user.Client(server).GetAsync(ApiRoutes.AdminEgressPorts)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.GetAsync(ApiRoutes.AdminEgressPorts)).StatusCode);
        var apiToken = (await (await admin.Client(server).PostJsonAsync(ApiRoutes.Tokens, new CreateApiTokenRequest("ops script", 1))).ReadAsync<ApiTokenCreatedResponse>())!;
        var viaToken = await server.CreateClient(apiToken.Token).GetAsync(ApiRoutes.AdminEgressPorts);
        Assert.Equal(HttpStatusCode.Forbidden, viaToken.StatusCode);
        Assert.Contains("operator", await viaToken.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Egress_endpoints_refuse_anonymous_callers()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.GetAsync(ApiRoutes.Egress)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.PostJsonAsync(ApiRoutes.EgressTokens, new CreateEgressTokenRequest(null))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.PostAsync(ApiRoutes.EgressCheck, null)).StatusCode);
        var owner = await TestAccount.SignUpAsync(server);
        var invalid = await owner.Client(server).PostJsonAsync(ApiRoutes.EgressTokens, new CreateEgressTokenRequest(0));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    private static HttpClient Through(int port, string token) =>
        new(new SocketsHttpHandler
        {
            Proxy = new WebProxy(new Uri($"http://127.0.0.1:{port}")) { Credentials = new NetworkCredential("polydev", token) },
            UseProxy = true,
        });

    private static async Task<HttpStatusCode> StatusThroughAsync(int port, string token, HttpTarget target)
    {
        using var client = Through(port, token);
        using var response = await client.GetAsync(new Uri(target.BaseAddress, "/bytes/1"));
        return response.StatusCode;
    }
}
