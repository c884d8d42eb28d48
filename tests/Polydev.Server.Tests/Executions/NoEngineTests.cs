using System.Net;
using System.Net.Http.Json;
using Polydev.Contracts;
using Polydev.Contracts.Executions;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Executions;

/// <summary>A server with <c>Sandboxes:Engine</c> <c>none</c>: the executions API says so, and its reads still work.</summary>
public sealed class NoEngineTests
{
    [Fact]
    public async Task Without_an_engine_executions_are_refused_with_503_and_bad_queries_with_400()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var account = await TestAccount.SignUpAsync(server);
        using var client = server.CreateClient(account.Token);

        var create = await client.PostAsJsonAsync(ApiRoutes.Executions, new CreateExecutionRequest(Providers.Anthropic), PolydevJson.Options);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, create.StatusCode);
        Assert.Equal("application/problem+json", create.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Sandboxes:Engine", await create.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostAsync(ApiRoutes.ExecutionCancel(Guid.NewGuid()), null)).StatusCode);

        var badFrom = await client.GetAsync(ApiRoutes.Executions + $"/{Guid.NewGuid()}/stream?from=-1");
        Assert.Equal(HttpStatusCode.BadRequest, badFrom.StatusCode);
        Assert.Contains("from", await badFrom.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync(ApiRoutes.Executions + "?cursor=garbage")).StatusCode);

        var list = await client.GetFromJsonAsync<Page<ExecutionResponse>>(ApiRoutes.Executions, PolydevJson.Options);
        Assert.Empty(list!.Items);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.GetAsync(ApiRoutes.Executions)).StatusCode);
    }
}
