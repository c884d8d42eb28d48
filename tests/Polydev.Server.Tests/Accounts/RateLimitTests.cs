using System.Net;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Server.Accounts;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Accounts;

/// <summary>Finding 7 of issue 13: sign-up, login and pre-login are rate-limited per client address.</summary>
public sealed class RateLimitTests
{
    public static TheoryData<string> Groups => new() { AccountRateLimiting.Signup, AccountRateLimiting.Login, AccountRateLimiting.Prelogin };

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task One_address_over_the_limit_gets_a_429_problem_with_retry_after_and_another_address_does_not(string group)
    {
        const int limit = 3;
        var section = $"Accounts:RateLimits:{char.ToUpperInvariant(group[0])}{group[1..]}";
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, ClientAddressRequests.BehindProxy(new()
        {
            [$"{section}:Limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"{section}:Period"] = "01:00:00",
        }));
        var metrics = server.Services.GetRequiredService<RateLimitMetrics>().Refusals.WithLabels(group);
        var refusedBefore = metrics.Value;

        Task<HttpResponseMessage> SendFrom(string address) => group switch
        {
            AccountRateLimiting.Signup => server.PostFromAsync(address, ApiRoutes.Accounts, TestAccount.Create().SignupRequest()),
            AccountRateLimiting.Login => server.PostFromAsync(address, ApiRoutes.Login, new LoginRequest($"{Guid.NewGuid():N}@example.test", new byte[32], null)),
            _ => server.PostFromAsync(address, ApiRoutes.Prelogin, new PreloginRequest($"{Guid.NewGuid():N}@example.test")),
        };

        for (var i = 0; i < limit; i++)
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await SendFrom("198.51.100.20")).StatusCode);
        }

        var refused = await SendFrom("198.51.100.20");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(20));
        var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal(429, problem["status"]!.GetValue<int>());
        Assert.Contains("from this address; try again in", problem["detail"]!.GetValue<string>());
        Assert.Equal(refusedBefore + 1, metrics.Value);

        var other = await SendFrom("203.0.113.20");
        Assert.NotEqual(HttpStatusCode.TooManyRequests, other.StatusCode);
        Assert.True((int)other.StatusCode < 500, $"{other.StatusCode}");
    }

    [Fact]
    public async Task The_default_limits_let_a_burst_of_sign_ups_and_logins_from_one_address_through()
    {
        // A shared office address, or PortRegistryTests: a dozen accounts at once, each signing in.
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var accounts = await Task.WhenAll(Enumerable.Range(0, 15).Select(_ => TestAccount.SignUpAsync(server)));
        Assert.Equal(15, accounts.Select(a => a.UserId).Distinct().Count());
    }
}
