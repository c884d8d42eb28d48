using Microsoft.Extensions.Options;
using Polydev.Server.Egress;
using Polydev.Server.Egress.Gateway;
using Polydev.Server.Observability;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Nomad;
using Prometheus;

namespace Polydev.Server.Hosting;

/// <summary>
/// <c>polydev egress gateway</c>: what one sandbox node of a Nomad cluster runs (a system job, docs/nomad.md): the
/// node's sandbox network (the same Docker network, gateway address and firewall as a single host's), the relay of
/// the egress range to the server's proxy, the node's ready mark, and <c>/metrics</c> and <c>/health</c>.
/// Configured like the server (appsettings.json, <c>POLYDEV_</c> variables): <c>Egress:FirstPort</c>/<c>LastPort</c>,
/// <c>Egress:Gateway:*</c>, <c>Sandboxes:Docker:Network:*</c>.
/// </summary>
public static class EgressGatewayHost
{
    public const string DefaultUrls = "http://0.0.0.0:9902";

    public static WebApplication Build(IReadOnlyDictionary<string, string?> overrides)
    {
        var builder = PolydevServer.CreateCompanionBuilder(overrides);
        // The node's network is made with the Docker engine's own code, whatever engine the server runs.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [$"{SandboxesOptions.Section}:{nameof(SandboxesOptions.Engine)}"] = "docker" });
        builder.WebHost.UseUrls((builder.Configuration["Urls"] ?? DefaultUrls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        var gateway = builder.Configuration.GetSection(EgressGatewayOptions.Section).Get<EgressGatewayOptions>() ?? new EgressGatewayOptions();
        gateway.Validate();
        builder.Services.AddRouting();
        builder.Services.AddSingleton(gateway);
        builder.Services.AddSingleton(Options.Create(builder.Configuration.GetSection(EgressOptions.Section).Get<EgressOptions>() ?? new EgressOptions()));
        ObservabilityServices.UsePolydevDefaultSeries();
        builder.Services.AddSingleton(new EgressGatewayMetrics(Metrics.DefaultRegistry));
        builder.Services.AddDockerEngine(builder.Configuration);
        builder.Services.AddSingleton<EgressGatewayService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EgressGatewayService>());

        var app = builder.Build();
        app.UseRouting();
        app.MapMetrics("/metrics");
        app.MapGet("/health", (EgressGatewayService service) => service.Relaying ? Results.Ok(new { status = "relaying" }) : Results.StatusCode(503));
        return app;
    }
}

/// <summary>Makes the node's network, starts the relay at its gateway address, marks the node; undoes the mark on stop.</summary>
internal sealed class EgressGatewayService(
    ISandboxNetworkSetup network, EgressGatewayOptions options, IOptions<EgressOptions> egress, EgressGatewayMetrics metrics, ILogger<EgressGatewayService> logger)
    : IHostedService
{
    private EgressGatewayRelay? _relay;
    private NomadNodeMeta? _meta;

    public bool Relaying => _relay is not null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await network.EnsureAsync(cancellationToken);
        var relay = new EgressGatewayRelay(options, network.EgressAddress, (egress.Value.FirstPort, egress.Value.LastPort), metrics, logger);
        relay.Start();
        _relay = relay;
        if (options.NomadAddress is { } address)
        {
            var token = Environment.GetEnvironmentVariable("NOMAD_TOKEN");
            _meta = new NomadNodeMeta(new NomadClient(new NomadEngineOptions { Address = address, Token = token }), options.ReadyMeta);
            await _meta.MarkReadyAsync(cancellationToken);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_meta is not null)
        {
            try
            {
                await _meta.ClearAsync(cancellationToken);
            }
            catch (SandboxEngineException)
            {
                // The agent may be stopping too; the node's mark goes with it.
            }
        }

        if (_relay is not null)
        {
            await _relay.DisposeAsync();
            _relay = null;
        }
    }
}
