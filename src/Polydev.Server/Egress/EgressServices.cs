using Microsoft.Extensions.Options;
using Polydev.Server.Accounts;
using Polydev.Server.Egress.Proxy;
using Prometheus;

namespace Polydev.Server.Egress;

/// <summary>
/// The egress proxy: a port per user, proxy tokens, the listeners' service and its endpoints. Register it before the
/// sandboxes: hosted services stop in reverse order, so executions and pools end before the proxy closes.
/// </summary>
public static class EgressServices
{
    public static IServiceCollection AddEgress(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<EgressOptions>(configuration.GetSection(EgressOptions.Section));
        services.AddSingleton<IValidateOptions<EgressOptions>, EgressOptionsValidator>();
        services.AddOptions<EgressOptions>().ValidateOnStart();
        services.AddSingleton(new EgressMetrics(Metrics.DefaultRegistry));
        services.AddUserDataOwner<PortRegistry>();
        services.AddUserDataOwner<EgressTokenStore>();
        services.AddSingleton<EgressTokenAuthenticator>();
        services.AddSingleton<IEgressAuthenticator>(sp => sp.GetRequiredService<EgressTokenAuthenticator>());
        services.AddSingleton<IDirectNetwork, SystemNetwork>();
        services.AddSingleton<EgressProxy>();
        services.AddSingleton<EgressService>();
        services.AddHostedService(sp => sp.GetRequiredService<EgressService>());
        services.AddSingleton<IAccountObserver>(sp => sp.GetRequiredService<EgressService>());
        services.AddSingleton<EgressLiveCheck>();
        return services;
    }

    public static IEndpointRouteBuilder MapEgress(this IEndpointRouteBuilder app)
    {
        app.MapEgressEndpoints();
        return app;
    }
}
