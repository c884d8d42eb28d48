using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Server.Egress;
using Polydev.Server.Login.Turn;
using Polydev.Server.Sandboxes.Docker.Images;
using Polydev.Server.Sandboxes.Images;
using Prometheus;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>The Docker engine's one registration.</summary>
public static class DockerEngineServices
{
    public const string EngineName = "docker";

    /// <summary>
    /// Registers the Docker engine under <c>docker</c>; when <c>Sandboxes:Engine</c> is <c>docker</c>, adds the
    /// engine, its sandbox network (<c>Sandboxes:Docker:Network</c>, its firewall admitting the egress port range)
    /// and its image catalog, plus the sweep of scratch disks left by a crash.
    /// </summary>
    public static IServiceCollection AddDockerEngine(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSandboxEngine(configuration, EngineName, engine =>
        {
            engine.Configure<DockerEngineOptions>(configuration.GetSection(DockerEngineOptions.Section));
            engine.AddSingleton(sp => new DockerClient(sp.GetRequiredService<IOptions<DockerEngineOptions>>().Value.Socket));
            engine.TryAddSingleton(_ => new SandboxEngineMetrics(Metrics.DefaultRegistry));
            engine.AddSingleton(sp => new DockerScratch(sp.GetRequiredService<IOptions<DockerEngineOptions>>().Value.ScratchRoot));
            engine.AddSingleton(sp => new DockerSandboxEngine(
                sp.GetRequiredService<DockerClient>(), sp.GetRequiredService<SandboxEngineMetrics>(), sp.GetRequiredService<ILogger<DockerSandboxEngine>>(),
                sp.GetRequiredService<DockerScratch>(), sp.GetRequiredService<IOptions<DockerEngineOptions>>().Value));
            engine.AddSingleton<ISandboxEngine>(sp => sp.GetRequiredService<DockerSandboxEngine>());
            engine.AddSingleton<ISandboxNetworkSetup>(sp => new DockerSandboxNetwork(sp.GetRequiredService<DockerClient>(), NetworkOptions(sp)));
            engine.AddSingleton<IRuntimeImageCatalog>(sp => new DockerImageCatalog(sp.GetRequiredService<DockerClient>(), sp.GetService<ILogger<DockerImageCatalog>>()));
            engine.AddHostedService<DockerScratchCollector>();
        });

    private static DockerSandboxNetworkOptions NetworkOptions(IServiceProvider services)
    {
        var network = services.GetRequiredService<IOptions<DockerEngineOptions>>().Value.Network;
        var egress = services.GetService<IOptions<EgressOptions>>()?.Value ?? new EgressOptions();
        var turn = services.GetService<IOptions<TurnOptions>>()?.Value;
        int turnPort = turn is { IsEmbedded: true } ? turn.ListeningPort : 0;
        // On a cluster node the egress gateway registers its settings: the range is redirected to its relay.
        var relayPort = services.GetService<Egress.Gateway.EgressGatewayOptions>()?.RelayPort ?? 0;
        return new DockerSandboxNetworkOptions(network.Name, network.BridgeName, network.Subnet, egress.FirstPort, egress.LastPort, turnPort, relayPort);
    }
}
