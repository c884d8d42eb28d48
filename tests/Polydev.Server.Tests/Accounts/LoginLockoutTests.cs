using System.Diagnostics;
using System.Net;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Accounts;

/// <summary>Finding 6 of issue 13: failures lock out an (e-mail, address) pair, never the account.</summary>
public sealed class LoginLockoutTests
{
    [Fact]
    public async Task An_attacker_hammering_an_account_from_one_address_is_locked_out_and_the_owner_on_another_address_gets_in()
    {
        // The shipped limits: 10 attempts per e-mail and address in 5 minutes.
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, ClientAddressRequests.BehindProxy());
        var owner = await TestAccount.SignUpAsync(server);
        const string attacker = "198.51.100.66";

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await server.PostFromAsync(attacker, ApiRoutes.Login, new LoginRequest(owner.Email, new byte[32], null))).StatusCode);
        }

        var lockedOut = await server.PostFromAsync(attacker, ApiRoutes.Login, new LoginRequest(owner.Email, new byte[32], null));
        Assert.Equal(HttpStatusCode.TooManyRequests, lockedOut.StatusCode);
        Assert.True(lockedOut.Headers.RetryAfter?.Delta > TimeSpan.Zero);

        var ownerLogin = await server.PostFromAsync("203.0.113.7", ApiRoutes.Login, new LoginRequest(owner.Email, owner.AuthKey, "laptop"));
        Assert.Equal(HttpStatusCode.OK, ownerLogin.StatusCode);
        Assert.Equal(owner.UserId, (await ownerLogin.ReadAsync<LoginResponse>())!.Account.UserId);

        // Still locked out from the attacker's address, even with the right key.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await server.PostFromAsync(attacker, ApiRoutes.Login, new LoginRequest(owner.Email, owner.AuthKey, null))).StatusCode);
    }

    [Fact]
    public async Task Failures_from_many_addresses_slow_the_account_down_without_locking_the_owner_out()
    {
        var settings = ClientAddressRequests.BehindProxy(new()
        {
            ["Accounts:EmailSlowdownAfter"] = "10",
            ["Accounts:EmailSlowdownStep"] = "00:00:00.4",
            ["Accounts:MaxEmailSlowdown"] = "00:00:00.4",
        });
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, settings);
        var owner = await TestAccount.SignUpAsync(server);

        // A distributed guesser: more failures on the e-mail than any per-pair or per-address limit sees.
        for (var i = 1; i <= 12; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await server.PostFromAsync($"198.51.100.{i}", ApiRoutes.Login, new LoginRequest(owner.Email, new byte[32], null))).StatusCode);
        }

        var watch = Stopwatch.StartNew();
        var ownerLogin = await server.PostFromAsync("203.0.113.7", ApiRoutes.Login, new LoginRequest(owner.Email, owner.AuthKey, null));
        watch.Stop();
        Assert.Equal(HttpStatusCode.OK, ownerLogin.StatusCode);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(380), $"The login took {watch.Elapsed.TotalMilliseconds:0} ms; the e-mail's slow-down is 400 ms.");
    }
}
