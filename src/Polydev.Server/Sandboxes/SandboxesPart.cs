using Microsoft.Extensions.Options;
using Polydev.Server.Egress;
using Polydev.Server.Executions;
using Polydev.Server.Pools;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Storage;
using Prometheus;

namespace Polydev.Server.Sandboxes;

/// <summary>
/// The sandbox engine, the pools and the executions. Register after the egress part so they stop before it:
/// executions end first, then the pools drain, then the proxy closes.
/// </summary>
public static class SandboxesPart
{
    public static IServiceCollection AddSandboxes(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<SandboxesOptions>(configuration.GetSection(SandboxesOptions.Section));
        services.Configure<ExecutionsOptions>(configuration.GetSection(ExecutionsOptions.Section));
        // Past executions stay readable (and deletable with their account) even without an engine.
        services.AddUserDataOwner<ExecutionStore>();
        var sandboxes = configuration.GetSection(SandboxesOptions.Section).Get<SandboxesOptions>() ?? new SandboxesOptions();
        sandboxes.Validate();
        if (!sandboxes.Enabled)
        {
            return services;
        }

        var egress = configuration.GetSection(EgressOptions.Section).Get<EgressOptions>() ?? new EgressOptions();
        var network = new DockerSandboxNetworkOptions(sandboxes.Network.Name, sandboxes.Network.BridgeName, sandboxes.Network.Subnet, egress.FirstPort, egress.LastPort);
        if (egress.BindAddress != network.Gateway.ToString() && egress.BindAddress != "0.0.0.0")
        {
            throw new InvalidOperationException(
                $"Sandboxes reach the egress proxy only at the sandbox network's gateway {network.Gateway}, but Egress:BindAddress is {egress.BindAddress}; set Egress:BindAddress to {network.Gateway}.");
        }

        services.AddSingleton(_ => new DockerClient(sandboxes.DockerSocket));
        services.AddSingleton(sp => new SandboxEngineMetrics(Metrics.DefaultRegistry));
        services.AddSingleton<ISandboxEngine, DockerSandboxEngine>();
        services.AddSingleton<ISandboxNetworkSetup>(sp => new DockerSandboxNetwork(sp.GetRequiredService<DockerClient>(), network));
        services.AddSingleton(new PoolMetrics(Metrics.DefaultRegistry));
        services.AddSingleton<RuntimeContainerStore>();
        services.AddSingleton<SandboxWarmer>();
        services.AddSingleton<PoolManager>();
        services.AddHostedService(sp => sp.GetRequiredService<PoolManager>());
        services.AddSingleton(new ExecutionMetrics(Metrics.DefaultRegistry));
        services.AddSingleton<ExecutionService>();
        services.AddHostedService(sp => sp.GetRequiredService<ExecutionService>());
        return services;
    }

    public static IEndpointRouteBuilder MapExecutions(this IEndpointRouteBuilder app)
    {
        app.MapExecutionEndpoints(app.ServiceProvider.GetRequiredService<IOptions<ExecutionsOptions>>().Value);
        return app;
    }
}
