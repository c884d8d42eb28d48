using Polydev.Testing;
using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Hosting;

public sealed class HostingTests
{
    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task Health_endpoints_report_liveness_and_database_readiness(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task Ready_turns_unhealthy_when_the_database_goes_away_while_live_stays_up()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Postgres);
        var database = new NpgsqlConnectionStringBuilder(server.DatabaseConnectionString!).Database!;
        await using (var admin = new NpgsqlConnection(PostgresServer.ConnectionString))
        {
            await admin.OpenAsync();
            NpgsqlConnection.ClearAllPools();
            await using var drop = new NpgsqlCommand($"DROP DATABASE \"{database}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.Client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Metrics_expose_request_durations_and_polydev_counters_without_identities()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var account = await TestAccount.SignUpAsync(server);
        await server.Client.PostJsonAsync(ApiRoutes.Login, new LoginRequest(account.Email, new byte[32], null));
        await account.Client(server).PostJsonAsync(ApiRoutes.Chats, account.NewChat("metered"));
        await account.Client(server).GetAsync(ApiRoutes.Chat(Guid.NewGuid()));

        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Contains("http_request_duration_seconds_bucket", metrics);
        Assert.Contains("polydev_accounts_created_total", metrics);
        Assert.Matches("polydev_logins_total\\{outcome=\"success\"\\} [1-9]", metrics);
        Assert.Matches("polydev_logins_total\\{outcome=\"bad_credentials\"\\} [1-9]", metrics);
        Assert.Matches("polydev_vault_writes_total\\{record=\"chat\",operation=\"create\"\\} [1-9]", metrics);
        Assert.Matches("polydev_requests_rejected_total\\{reason=\"not_found\"\\} [1-9]", metrics);
        Assert.Matches("polydev_requests_rejected_total\\{reason=\"unauthenticated\"\\} [1-9]", metrics);
        Assert.DoesNotContain(account.Email, metrics);
        Assert.DoesNotContain(account.UserId.ToString("D"), metrics);
    }

    [Fact]
    public async Task The_openapi_document_describes_every_endpoint()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var document = JsonNode.Parse(await server.Client.GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToHashSet();
        foreach (var path in new[]
        {
            ApiRoutes.Accounts, ApiRoutes.Prelogin, ApiRoutes.Login, ApiRoutes.Logout, ApiRoutes.Sessions, ApiRoutes.RecoveryVerify,
            ApiRoutes.RecoveryReset, ApiRoutes.Account, ApiRoutes.AccountPassword, ApiRoutes.AccountRecovery, ApiRoutes.AccountDelete,
            ApiRoutes.Tokens, ApiRoutes.Chats, ApiRoutes.Credentials, "/api/vault/chats/{chatId}/messages/{messageId}",
        })
        {
            Assert.Contains(path, paths);
        }

        Assert.NotNull(document["components"]?["securitySchemes"]?["Bearer"]);

        // A read takes no body, even one whose parameters are gathered with [AsParameters] (the request delegate
        // generator's metadata gives it a typeless one: TypelessBodyApiDescriptions); a create keeps its JSON body.
        Assert.Null(document["paths"]![ApiRoutes.Sessions]!["get"]!["requestBody"]);
        Assert.NotNull(document["paths"]![ApiRoutes.Credentials]!["post"]!["requestBody"]?["content"]?["application/json"]?["schema"]);
    }

    /// <summary>Issue 13, finding 9: Swagger UI shared the client's origin with no content security policy.</summary>
    [Fact]
    public async Task The_docs_page_is_off_by_default_and_when_on_serves_under_a_strict_policy()
    {
        await using (var server = await RunningServer.StartAsync(RunningServer.Sqlite))
        {
            var off = await server.Client.GetAsync("/docs/index.html");
            Assert.Equal(HttpStatusCode.NotFound, off.StatusCode);
            Assert.Equal("application/problem+json", off.Content.Headers.ContentType?.MediaType);
            Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/openapi/v1.json")).StatusCode);
        }

        await using (var server = await RunningServer.StartAsync(RunningServer.Sqlite, new Dictionary<string, string?> { ["ApiDocs"] = "true" }))
        {
            foreach (var path in new[] { "/docs/index.html", "/docs/index.js", "/docs/swagger-ui-bundle.js" })
            {
                var docs = await server.Client.GetAsync(path);
                Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
                var policy = string.Join(' ', docs.Headers.GetValues("Content-Security-Policy"));
                Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
                Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
                Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
                Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
            }

            // Every script of the page is a file the policy allows: none inline.
            var page = await server.Client.GetStringAsync("/docs/index.html");
            Assert.Contains("swagger", page, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotMatch("<script(?![^>]*\\bsrc=)[^>]*>", page);
        }
    }

    [Fact]
    public async Task Unknown_routes_and_methods_are_problems_and_responses_are_never_cached()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var missing = await server.Client.GetAsync("/api/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Contains("openapi", JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
        Assert.True(missing.Headers.CacheControl?.NoStore);
        Assert.Contains("nosniff", missing.Headers.GetValues("X-Content-Type-Options"));
        Assert.False(missing.Headers.Contains("Server"));
    }
}
