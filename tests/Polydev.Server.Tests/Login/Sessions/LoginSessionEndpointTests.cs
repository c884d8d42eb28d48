using System.Net;
using System.Net.Http.Json;
using Polydev.Contracts;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Login.Sessions;

/// <summary>Issue 15: the login sessions API's answers that need no sandbox (the full flow runs end to end with the login image).</summary>
public sealed class LoginSessionEndpointTests
{
    [Fact]
    public async Task Without_an_engine_start_is_a_clear_503_and_unknown_sessions_are_404_for_every_operation()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.PostAsync(ApiRoutes.LoginSessions, null)).StatusCode);
        var account = await TestAccount.SignUpAsync(server);
        var client = account.Client(server);

        var start = await client.PostAsync(ApiRoutes.LoginSessions, null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, start.StatusCode);
        Assert.Equal("application/problem+json", start.Content.Headers.ContentType?.MediaType);
        Assert.Contains("login sessions need one", await start.Content.ReadAsStringAsync());

        // A provider nobody can connect is the caller's mistake, said before anything else; a known one starts as usual.
        var badConnect = await client.PostAsJsonAsync(ApiRoutes.LoginSessions, new { connect = "nope" });
        Assert.Equal(HttpStatusCode.BadRequest, badConnect.StatusCode);
        Assert.Equal("application/problem+json", badConnect.Content.Headers.ContentType?.MediaType);
        Assert.Contains("connect must be one of anthropic, openai, google", await badConnect.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostAsJsonAsync(ApiRoutes.LoginSessions, new { connect = "openai" })).StatusCode);

        var id = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(ApiRoutes.LoginSession(id))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(ApiRoutes.LoginSessionCredential(id))).StatusCode);
        var report = await client.PostAsJsonAsync(ApiRoutes.LoginSessionReport(id), new { path = "vnc" });
        Assert.True(report.StatusCode == HttpStatusCode.NotFound, await report.Content.ReadAsStringAsync());
        Assert.Equal("[]", await client.GetStringAsync(ApiRoutes.LoginSessions));
    }

    [Fact]
    public async Task A_channel_without_a_valid_ticket_is_refused()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var plain = await server.Client.GetAsync(ApiRoutes.LoginSessionChannel(Guid.NewGuid(), "not-a-ticket"));
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Contains("WebSocket", await plain.Content.ReadAsStringAsync());

        // A real WebSocket upgrade with a ticket nobody issued: refused before the upgrade, with the problem's status.
        foreach (var ticket in new[] { "not-a-ticket", "" })
        {
            using var socket = new System.Net.WebSockets.ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            var url = new Uri(server.BaseAddress, ApiRoutes.LoginSessionChannel(Guid.NewGuid(), ticket).TrimStart('/'));
            var ws = new UriBuilder(url) { Scheme = "ws" }.Uri;
            await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => socket.ConnectAsync(ws, CancellationToken.None));
            Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
        }
    }
}
