using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Server.Sandboxes.Images;
using Prometheus;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>The Nomad engine's one registration.</summary>
public static class NomadEngineServices
{
    public const string EngineName = "nomad";

    /// <summary>
    /// Registers the Nomad engine under <c>nomad</c>; when <c>Sandboxes:Engine</c> is <c>nomad</c>, adds the engine
    /// (<c>Sandboxes:Nomad:*</c>, validated at start), its sandbox network (the nodes' egress gateways) and its image
    /// catalog: the images are built where <c>polydev images build</c> runs and reach the nodes through the operator's
    /// registry (docs/nomad.md), so <paramref name="buildCatalog"/> is the build host's.
    /// </summary>
    public static IServiceCollection AddNomadEngine(this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, IRuntimeImageCatalog> buildCatalog) =>
        services.AddSandboxEngine(configuration, EngineName, engine =>
        {
            engine.AddOptions<NomadEngineOptions>().Bind(configuration.GetSection(NomadEngineOptions.Section)).Validate(o =>
            {
                o.Validate();
                return true;
            }).ValidateOnStart();
            engine.AddSingleton(sp => sp.GetRequiredService<IOptions<NomadEngineOptions>>().Value);
            engine.AddSingleton(sp => new NomadClient(sp.GetRequiredService<NomadEngineOptions>()));
            engine.TryAddSingleton(_ => new SandboxEngineMetrics(Metrics.DefaultRegistry));
            engine.AddSingleton<NomadSandboxEngine>();
            engine.AddSingleton<ISandboxEngine>(sp => sp.GetRequiredService<NomadSandboxEngine>());
            engine.AddSingleton<ISandboxNetworkSetup>(sp => new NomadSandboxNetwork(
                sp.GetRequiredService<NomadClient>(), sp.GetRequiredService<NomadEngineOptions>(), sp.GetRequiredService<ILogger<NomadSandboxNetwork>>()));
            engine.AddSingleton(buildCatalog);
        });
}
