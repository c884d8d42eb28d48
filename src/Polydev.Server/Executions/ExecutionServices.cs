using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace Polydev.Server.Executions;

/// <summary>The executions' registration (after the pools, so executions stop before the pools drain).</summary>
public static class ExecutionServices
{
    public static IServiceCollection AddExecutions(this IServiceCollection services)
    {
        services.AddSingleton(new ExecutionMetrics(Metrics.DefaultRegistry));
        services.AddSingleton<ExecutionTelemetry>();
        services.AddSingleton<ActiveExecutions>();
        services.AddSingleton<EgressAccess>();
        services.AddSingleton<ExecutionAdmission>();
        services.AddSingleton<ExecutionFinisher>();
        services.AddSingleton<PendingExecutions>();
        services.AddSingleton<ExecutionCreator>();
        services.AddSingleton<OutputRelay>();
        services.AddSingleton<ExecutionOutcomes>();
        services.AddSingleton<ExecutionStarter>();
        services.AddSingleton<InterruptedExecutions>();
        services.AddSingleton<ExecutionService>();
        services.AddHostedService(sp => sp.GetRequiredService<ExecutionService>());
        services.AddSingleton<Accounts.IAccountObserver>(sp => sp.GetRequiredService<ExecutionService>());
        return services;
    }
}
