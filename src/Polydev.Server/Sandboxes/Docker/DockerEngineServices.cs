using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Server.Egress;
using Polydev.Server.Login.Turn;
using Polydev.Server.Sandboxes.Docker.HostOperations;
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
            engine.AddSingleton<IDockerHostOperations>(sp =>
            {
                var options = sp.GetRequiredService<IOptions<DockerEngineOptions>>().Value;
                return string.IsNullOrWhiteSpace(options.Helper)
                    ? new LocalHostOperations(options.ScratchRoot)
                    : new HelperHostOperations(options.Helper, new HelperMetrics(Metrics.DefaultRegistry, HelperMetrics.Client));
            });
            engine.AddSingleton(sp => new DockerSandboxEngine(
                sp.GetRequiredService<DockerClient>(), sp.GetRequiredService<SandboxEngineMetrics>(), sp.GetRequiredService<ILogger<DockerSandboxEngine>>(),
                sp.GetRequiredService<IDockerHostOperations>(), sp.GetRequiredService<IOptions<DockerEngineOptions>>().Value));
            engine.AddSingleton<ISandboxEngine>(sp => sp.GetRequiredService<DockerSandboxEngine>());
            engine.AddSingleton<ISandboxNetworkSetup>(sp => new DockerSandboxNetwork(sp.GetRequiredService<DockerClient>(), NetworkOptions(sp), sp.GetRequiredService<IDockerHostOperations>()));
            engine.AddSingleton<IRuntimeImageCatalog>(sp => new DockerImageCatalog(sp.GetRequiredService<DockerClient>(), sp.GetService<ILogger<DockerImageCatalog>>()));
            engine.AddHostedService<DockerScratchCollector>();
        });

    private static DockerSandboxNetworkOptions NetworkOptions(IServiceProvider services) => NetworkOptions(
        services.GetRequiredService<IOptions<DockerEngineOptions>>().Value,
        services.GetService<IOptions<EgressOptions>>()?.Value ?? new EgressOptions(),
        services.GetService<IOptions<TurnOptions>>()?.Value,
        // On a cluster node the egress gateway registers its settings: the range is redirected to its relay.
        services.GetService<Egress.Gateway.EgressGatewayOptions>()?.RelayPort ?? 0);

    /// <summary>The sandbox network the settings describe: the server's, and what <c>polydev docker-helper</c> admits.</summary>
    public static DockerSandboxNetworkOptions NetworkOptions(DockerEngineOptions docker, EgressOptions egress, TurnOptions? turn, int relayPort)
    {
        int turnPort = turn is { IsEmbedded: true } ? turn.ListeningPort : 0;
        var network = docker.Network;
        return new DockerSandboxNetworkOptions(network.Name, network.BridgeName, network.Subnet, egress.FirstPort, egress.LastPort, turnPort, relayPort);
    }
}
