using Polydev.Server.Sandboxes;

namespace Polydev.Server.Tests.Sandboxes;

public sealed class SandboxesOptionsTests
{
    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("00:01:01")]
    public void A_refill_delay_out_of_range_stops_the_server_naming_the_key(string delay)
    {
        var options = new SandboxesOptions { Engine = "docker", RefillDelay = TimeSpan.Parse(delay, System.Globalization.CultureInfo.InvariantCulture) };
        var e = Assert.Throws<InvalidOperationException>(() => options.Validate(["docker"]));
        Assert.Equal("Sandboxes:RefillDelay must be between 00:00:00 and 00:01:00.", e.Message);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:03")]
    [InlineData("00:01:00")]
    public void A_refill_delay_in_range_is_taken(string delay)
    {
        var options = new SandboxesOptions { Engine = "docker", RefillDelay = TimeSpan.Parse(delay, System.Globalization.CultureInfo.InvariantCulture) };
        options.Validate(["docker"]);
        Assert.Equal(TimeSpan.Parse(delay, System.Globalization.CultureInfo.InvariantCulture), options.RefillDelay);
    }

    [Theory]
    [InlineData(999)]
    [InlineData(1_000_001)]
    public void A_cpu_period_out_of_range_stops_the_docker_engine_naming_the_key(int period)
    {
        var options = new Polydev.Server.Sandboxes.Docker.DockerEngineOptions { CpuPeriodMicroseconds = period };
        var e = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Equal($"Sandboxes:Docker:CpuPeriodMicroseconds must be 1000–1000000 (µs), not {period}.", e.Message);
    }
}
