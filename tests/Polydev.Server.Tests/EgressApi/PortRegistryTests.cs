using Polydev.Testing;
using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Contracts.Egress;
using Polydev.Server.Egress;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.EgressApi;

/// <summary><c>user_proxy_ports</c>: one port per user, lowest free first, safe under concurrency, freed with the account.</summary>
public sealed class PortRegistryTests
{
    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Concurrent_allocations_give_every_user_one_distinct_port(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var registry = server.Services.GetRequiredService<PortRegistry>();
        var users = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => TestAccount.SignUpAsync(server)));
        var first = int.Parse(server.Setting("Egress:FirstPort")!, System.Globalization.CultureInfo.InvariantCulture);

        // Every user asks three times at once, all users at once.
        var results = await Task.WhenAll(users.SelectMany(u => Enumerable.Range(0, 3).Select(_ => registry.GetOrAllocateAsync(u.UserId, new HashSet<int>(), CancellationToken.None))));

        var byUser = results.GroupBy(r => r.Port.UserId).ToList();
        Assert.Equal(12, byUser.Count);
        Assert.All(byUser, g => Assert.Single(g.Select(r => r.Port.Port).Distinct()));
        Assert.All(byUser, g => Assert.Single(g, r => r.Allocated));
        Assert.Equal(Enumerable.Range(first, 12), byUser.Select(g => g.First().Port.Port).Order());
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task An_exhausted_range_is_a_clear_error_and_allocates_nothing(string engine)
    {
        var first = FreePorts.FindBlock(2);
        await using var server = await RunningServer.StartAsync(engine, new Dictionary<string, string?>
        {
            ["Egress:FirstPort"] = first.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Egress:LastPort"] = (first + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var users = new List<TestAccount>();
        for (var i = 0; i < 3; i++)
        {
            users.Add(await TestAccount.SignUpAsync(server));
        }

        Assert.Equal(HttpStatusCode.OK, (await users[0].Client(server).GetAsync(ApiRoutes.Egress)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await users[1].Client(server).GetAsync(ApiRoutes.Egress)).StatusCode);
        var refused = await users[2].Client(server).GetAsync(ApiRoutes.Egress);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("taken", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await users[2].Client(server).PostJsonAsync(ApiRoutes.EgressTokens, new CreateEgressTokenRequest(null))).StatusCode);

        await using var connection = await server.Database.OpenAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM user_proxy_ports"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM egress_tokens"));

        // Deleting an account frees its port for the next user, and closes its listener.
        var freed = (await (await users[0].Client(server).GetAsync(ApiRoutes.Egress)).ReadAsync<EgressStatusResponse>())!.Port;
        Assert.Equal(HttpStatusCode.NoContent, (await users[0].Client(server).PostJsonAsync(ApiRoutes.AccountDelete, new DeleteAccountRequest(users[0].AuthKey))).StatusCode);
        await AssertClosedAsync(freed);
        var reused = await users[2].Client(server).GetAsync(ApiRoutes.Egress);
        Assert.Equal(HttpStatusCode.OK, reused.StatusCode);
        Assert.Equal(freed, (await reused.ReadAsync<EgressStatusResponse>())!.Port);
    }

    private static async Task AssertClosedAsync(int port)
    {
        using var socket = new System.Net.Sockets.TcpClient();
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => socket.ConnectAsync(IPAddress.Loopback, port));
    }

    /// <summary>
    /// Issue 13, finding 10: a second server on a host where the first egress port was held by another program
    /// answered 500. Now the held port is passed over; a user whose own port is held gets a 503 problem that says so.
    /// </summary>
    [Fact]
    public async Task A_port_another_program_holds_is_passed_over_and_a_held_own_port_is_a_clear_503()
    {
        var first = FreePorts.FindBlock(3);
        var settings = new Dictionary<string, string?>
        {
            ["Egress:FirstPort"] = first.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Egress:LastPort"] = (first + 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, first);
        squatter.Start();
        var dataDirectory = Directory.CreateTempSubdirectory("polydev-test-").FullName;
        TestAccount user;
        await using (var server = await RunningServer.StartAsync(RunningServer.Sqlite, dataDirectory, null, settings))
        {
            user = await TestAccount.SignUpAsync(server);
            using var status = await user.Client(server).GetAsync(ApiRoutes.Egress);
            Assert.Equal(HttpStatusCode.OK, status.StatusCode);
            Assert.Equal(first + 1, (await status.ReadAsync<EgressStatusResponse>())!.Port);
            Assert.Equal(HttpStatusCode.Created, (await user.Client(server).PostJsonAsync(ApiRoutes.EgressTokens, new CreateEgressTokenRequest(null))).StatusCode);
            Assert.Contains($"Egress port {first} is held by another program", server.Logs.Text, StringComparison.Ordinal);
            await server.StopKeepingStorageAsync();
        }

        // The user's port is theirs for life: when another program holds it at the next start, the user is told, not moved.
        using var secondSquatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, first + 1);
        secondSquatter.Start();
        await using (var server = await RunningServer.StartAsync(RunningServer.Sqlite, dataDirectory, null, settings))
        {
            await user.LogInAsync(server);
            using var refused = await user.Client(server).GetAsync(ApiRoutes.Egress);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Contains($"Your egress port {first + 1} is in use by another program", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
