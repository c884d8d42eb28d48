using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace Polydev.Server.Pools;

/// <summary>The warm pools' registration (with a sandbox engine and runtime kinds registered).</summary>
public static class PoolServices
{
    public static IServiceCollection AddPools(this IServiceCollection services)
    {
        services.AddSingleton(new PoolMetrics(Metrics.DefaultRegistry));
        services.AddSingleton<RuntimeContainerStore>();
        services.AddSingleton<SandboxPools>();
        services.AddSingleton<SandboxWarmer>();
        services.AddSingleton<SandboxRetirer>();
        services.AddSingleton<SandboxAllocator>();
        services.AddSingleton<PoolRefiller>();
        services.AddSingleton<PoolHealthChecker>();
        services.AddSingleton<PoolReconciler>();
        services.AddSingleton<PoolManager>();
        services.AddHostedService(sp => sp.GetRequiredService<PoolManager>());
        return services;
    }
}
