using System.Net;
using Polydev.Contracts;
using Polydev.Contracts.Executions;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Runtimes;

/// <summary>Issue 14: <c>GET /api/runtimes</c>, what <c>polydev status</c> and the web client show about running here.</summary>
public sealed class RuntimeEndpointTests
{
    [Fact]
    public async Task Without_an_engine_every_provider_is_listed_off_with_the_limits_and_only_for_a_signed_in_user()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, new Dictionary<string, string?> { ["Executions:MaxRunTime"] = "00:05:00" });
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.GetAsync(ApiRoutes.Runtimes)).StatusCode);
        var account = await TestAccount.SignUpAsync(server);

        var runtimes = (await (await account.Client(server).GetAsync(ApiRoutes.Runtimes)).ReadAsync<RuntimesResponse>())!;

        Assert.False(runtimes.Sandboxes);
        Assert.Equal(["anthropic", "google", "openai"], runtimes.Runtimes.Select(r => r.Provider));
        Assert.Equal(["claude", "gemini", "codex"], runtimes.Runtimes.Select(r => r.Kind));
        Assert.All(runtimes.Runtimes, r => Assert.Equal((false, 0), (r.Enabled, r.Ready)));
        Assert.Equal(300, runtimes.Limits.MaxRunSeconds);
    }
}
