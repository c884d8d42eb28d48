using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Polydev.Server.Accounts;

namespace Polydev.Server.Tests.Accounts;

public sealed class AttemptThrottleTests
{
    private static readonly AccountsOptions Options = new() { AttemptsPerEmail = 3, AttemptsPerAddress = 5, AttemptWindow = TimeSpan.FromMinutes(5) };

    [Fact]
    public void Refuses_after_the_per_email_limit_until_the_window_ends()
    {
        var clock = new FakeTimeProvider();
        var throttle = new AttemptThrottle(Microsoft.Extensions.Options.Options.Create(Options), clock);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(throttle.TryAcquire("a@b.c", "10.0.0.1", out _));
        }

        Assert.False(throttle.TryAcquire("a@b.c", "10.0.0.2", out var retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(5), retryAfter);

        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.False(throttle.TryAcquire("a@b.c", "10.0.0.3", out retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(1), retryAfter);

        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(throttle.TryAcquire("a@b.c", "10.0.0.4", out _));
    }

    [Fact]
    public void Refuses_one_address_that_tries_many_emails()
    {
        var throttle = new AttemptThrottle(Microsoft.Extensions.Options.Options.Create(Options), new FakeTimeProvider());
        for (var i = 0; i < 5; i++)
        {
            Assert.True(throttle.TryAcquire($"user{i}@b.c", "10.0.0.9", out _));
        }

        Assert.False(throttle.TryAcquire("user9@b.c", "10.0.0.9", out _));
        Assert.True(throttle.TryAcquire("user9@b.c", "10.0.0.10", out _));
    }
}
