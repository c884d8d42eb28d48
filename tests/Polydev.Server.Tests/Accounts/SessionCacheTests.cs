using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Server.Accounts;
using Polydev.Server.Tests.Infrastructure;
using Polydev.Server.Vault;

namespace Polydev.Server.Tests.Accounts;

/// <summary>
/// Issue 19: the session behind a bearer token is kept in memory for <see cref="AccountsOptions.SessionCacheLifetime"/>
/// instead of being read on every request. Revocations made through the server still take effect on the very next
/// request; a change written to the database behind the server's back is seen within the lifetime, never later.
/// </summary>
public sealed class SessionCacheTests
{
    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task A_revoked_api_token_is_refused_on_the_next_request(string engine)
    {
        await using var server = await RunningServer.StartAsync(engine);
        var account = await TestAccount.SignUpAsync(server);
        using var owner = account.Client(server);
        var created = (await (await owner.PostJsonAsync(ApiRoutes.Tokens, new CreateApiTokenRequest("ci", null))).ReadAsync<ApiTokenCreatedResponse>())!;
        using var token = server.CreateClient(created.Token);
        Assert.Equal(HttpStatusCode.OK, (await token.GetAsync(ApiRoutes.Chats)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await token.GetAsync(ApiRoutes.Chats)).StatusCode); // now served from the cache

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync(ApiRoutes.Token(created.Id))).StatusCode);

        await AssertRefusedAsync(token, "revoked");
    }

    [Fact]
    public async Task A_signed_out_session_is_refused_on_the_next_request()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(ApiRoutes.Chats)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync(ApiRoutes.Logout, null)).StatusCode);

        await AssertRefusedAsync(client, "revoked");
    }

    [Fact]
    public async Task Other_sessions_end_at_once_when_the_password_changes()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var account = await TestAccount.SignUpAsync(server);
        using var laptop = account.Client(server);
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync(ApiRoutes.Chats)).StatusCode);

        await account.LogInAsync(server, "desktop"); // the account's session is the desktop's from here on
        using var client = account.Client(server);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PutJsonAsync(ApiRoutes.AccountPassword, account.NewPassword())).StatusCode);

        await AssertRefusedAsync(laptop, "revoked");
    }

    [Fact]
    public async Task A_deleted_account_s_token_is_refused_on_the_next_request()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(ApiRoutes.Chats)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostJsonAsync(ApiRoutes.AccountDelete, new DeleteAccountRequest(account.AuthKey))).StatusCode);

        await AssertRefusedAsync(client, "not known");
    }

    [Theory]
    [MemberData(nameof(RunningServer.Engines), MemberType = typeof(RunningServer))]
    public async Task A_revocation_written_behind_the_server_s_back_is_seen_within_the_cache_lifetime(string engine)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(engine, configureServices: services => services.AddSingleton<TimeProvider>(clock));
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(ApiRoutes.Chats)).StatusCode);

        // What another server on the same database, or an operator's SQL, would do.
        await using (var connection = await server.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE auth_sessions SET revoked_at = 1 WHERE id = @id", new { id = account.SessionId.ToString("D") });
        }

        var lifetime = new AccountsOptions().SessionCacheLifetime;
        Assert.Equal(TimeSpan.FromSeconds(2), lifetime);
        clock.Advance(lifetime - TimeSpan.FromMilliseconds(100));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(ApiRoutes.Chats)).StatusCode); // the documented bound, not a bug
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await AssertRefusedAsync(client, "revoked");
    }

    [Fact]
    public async Task With_no_cache_lifetime_every_request_reads_the_session()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, new Dictionary<string, string?> { ["Accounts:SessionCacheLifetime"] = "00:00:00" });
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(ApiRoutes.Chats)).StatusCode);

        await using (var connection = await server.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE auth_sessions SET revoked_at = 1 WHERE id = @id", new { id = account.SessionId.ToString("D") });
        }

        await AssertRefusedAsync(client, "revoked");
    }

    [Fact]
    public async Task A_key_rotation_flag_written_behind_the_server_s_back_closes_the_vault_within_the_cache_lifetime()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, configureServices: services => services.AddSingleton<TimeProvider>(clock));
        var account = await TestAccount.SignUpAsync(server);
        using var client = account.Client(server);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(ApiRoutes.Chats, account.NewChat("before"))).StatusCode);

        await using (var connection = await server.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE users SET key_rotation_required = 1 WHERE id = @id", new { id = account.UserId.ToString("D") });
        }

        clock.Advance(new AccountsOptions().SessionCacheLifetime);
        var refused = await client.PostJsonAsync(ApiRoutes.Chats, account.NewChat("after"));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains(VaultWriteGate.Detail, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(ApiRoutes.Chats)).StatusCode); // reads stay open
    }

    [Fact]
    public void A_lookup_that_raced_with_a_revocation_is_not_kept()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new SessionCache(Microsoft.Extensions.Options.Options.Create(new AccountsOptions()), clock);
        var hash = TokenHash.Of("pd_s_" + new string('a', 43));
        var session = new SessionRecord { Id = Guid.NewGuid().ToString("D") };

        var generation = cache.Generation; // a request starts reading the session...
        cache.ForgetAll();                 // ...a revocation commits meanwhile...
        cache.Keep(hash, session, generation);
        Assert.Null(cache.Find(hash));     // ...and what the request read is not kept.

        cache.Keep(hash, session, cache.Generation);
        Assert.Same(session, cache.Find(hash));
        clock.Advance(new AccountsOptions().SessionCacheLifetime);
        Assert.Null(cache.Find(hash));
    }

    [Fact]
    public void The_hash_is_the_one_stored_for_the_token()
    {
        var (token, hash) = BearerTokens.Issue(BearerTokens.ApiPrefix);
        Assert.Equal(hash, TokenHash.Of(token).ToArray());
    }

    private static async Task AssertRefusedAsync(HttpClient client, string why)
    {
        using var response = await client.GetAsync(ApiRoutes.Chats);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(why, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
