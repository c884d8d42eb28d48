using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polydev.Server.Egress;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Hosting;

/// <summary>
/// The configured engine's image catalog outside the server (<c>polydev images</c>): the same configuration
/// (appsettings.json, <c>POLYDEV_</c> environment) and the same engine registrations as <see cref="PolydevServer"/>.
/// </summary>
public sealed class ImageCatalogHost : IDisposable
{
    private readonly ServiceProvider _services;

    private ImageCatalogHost(ServiceProvider services, IRuntimeImageCatalog catalog)
    {
        _services = services;
        Catalog = catalog;
    }

    public IRuntimeImageCatalog Catalog { get; }

    /// <summary>Throws <see cref="ImageBuildException"/> when the configured engine is <c>none</c>.</summary>
    public static ImageCatalogHost Open()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables(PolydevServer.EnvironmentPrefix)
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Options.Create(configuration.GetSection(EgressOptions.Section).Get<EgressOptions>() ?? new EgressOptions()));
        PolydevServer.AddSandboxEngines(services, configuration);
        var provider = services.BuildServiceProvider();
        var catalog = provider.GetService<IRuntimeImageCatalog>();
        if (catalog is null)
        {
            provider.Dispose();
            throw new ImageBuildException($"Sandboxes:Engine is '{configuration[$"{SandboxesOptions.Section}:Engine"] ?? SandboxesOptions.NoEngine}': no sandbox engine, so no runtime images; set POLYDEV_SANDBOXES__ENGINE.");
        }

        return new ImageCatalogHost(provider, catalog);
    }

    public void Dispose() => _services.Dispose();
}
