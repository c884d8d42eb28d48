using Microsoft.Extensions.Time.Testing;
using Polydev.Server.Accounts;

namespace Polydev.Server.Tests.Accounts;

public sealed class AttemptThrottleTests
{
    private static AccountsOptions Settings() => new()
    {
        AttemptsPerEmailAndAddress = 3,
        AttemptsPerAddress = 5,
        AttemptWindow = TimeSpan.FromMinutes(5),
        EmailSlowdownAfter = 2,
        EmailSlowdownStep = TimeSpan.FromSeconds(1),
        MaxEmailSlowdown = TimeSpan.FromSeconds(3),
    };

    private static AttemptThrottle Throttle(FakeTimeProvider clock) => new(Microsoft.Extensions.Options.Options.Create(Settings()), clock);

    [Fact]
    public void Refuses_one_address_on_one_email_until_the_window_ends_while_other_addresses_get_in()
    {
        var clock = new FakeTimeProvider();
        var throttle = Throttle(clock);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(throttle.TryAcquire("a@b.c", "10.0.0.1").IsAllowed);
        }

        var refused = throttle.TryAcquire("a@b.c", "10.0.0.1");
        Assert.False(refused.IsAllowed);
        Assert.Equal(TimeSpan.FromMinutes(5), refused.RetryAfter);
        Assert.True(throttle.TryAcquire("a@b.c", "10.0.0.2").IsAllowed);

        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(TimeSpan.FromMinutes(1), throttle.TryAcquire("a@b.c", "10.0.0.1").RetryAfter);

        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(throttle.TryAcquire("a@b.c", "10.0.0.1").IsAllowed);
    }

    [Fact]
    public void Refuses_one_address_that_tries_many_emails()
    {
        var throttle = Throttle(new FakeTimeProvider());
        for (var i = 0; i < 5; i++)
        {
            Assert.True(throttle.TryAcquire($"user{i}@b.c", "10.0.0.9").IsAllowed);
        }

        Assert.False(throttle.TryAcquire("user9@b.c", "10.0.0.9").IsAllowed);
        Assert.True(throttle.TryAcquire("user9@b.c", "10.0.0.10").IsAllowed);
    }

    [Fact]
    public void Failures_on_one_email_from_many_addresses_slow_every_attempt_on_it_down_but_never_refuse()
    {
        var clock = new FakeTimeProvider();
        var throttle = Throttle(clock);
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 8; i++)
        {
            var attempt = throttle.TryAcquire("a@b.c", $"10.0.1.{i}");
            Assert.True(attempt.IsAllowed);
            delays.Add(attempt.Delay);
            throttle.Failed("a@b.c");
        }

        Assert.Equal([0, 0, 0, 1, 2, 3, 3, 3], delays.Select(d => (int)d.TotalSeconds));
        Assert.Equal(TimeSpan.Zero, throttle.TryAcquire("other@b.c", "10.0.1.0").Delay);

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(TimeSpan.Zero, throttle.TryAcquire("a@b.c", "10.0.2.1").Delay);
    }

    [Fact]
    public void A_success_forgets_the_owners_own_failures_on_that_address()
    {
        var throttle = Throttle(new FakeTimeProvider());
        for (var i = 0; i < 3; i++)
        {
            Assert.True(throttle.TryAcquire("a@b.c", "10.0.0.1").IsAllowed);
        }

        throttle.Succeeded("a@b.c", "10.0.0.1");
        Assert.True(throttle.TryAcquire("a@b.c", "10.0.0.1").IsAllowed);
    }
}
