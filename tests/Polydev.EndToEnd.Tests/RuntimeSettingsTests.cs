using System.Text.Json;

namespace Polydev.EndToEnd.Tests;

/// <summary>The runtime settings the built <c>polydev</c> binary carries (src/Polydev/Polydev.Runtime.props).</summary>
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void The_binary_ships_with_workstation_GC_and_thread_pool_workers_that_do_not_spin()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "polydev.runtimeconfig.json");
        Assert.True(File.Exists(path), $"{path} is missing; build tests/Polydev.EndToEnd.Tests first");

        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.Equal("0", properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").ToString());
        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
    }
}
