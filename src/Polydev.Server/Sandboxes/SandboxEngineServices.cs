using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Polydev.Server.Sandboxes;

/// <summary>
/// The engine registry: each engine registers itself under its name with one call (<c>AddDockerEngine</c>, later
/// <c>AddNomadEngine</c>), and only the one <c>Sandboxes:Engine</c> names adds its services — its
/// <see cref="ISandboxEngine"/>, <see cref="ISandboxNetworkSetup"/> and <see cref="Images.IRuntimeImageCatalog"/>.
/// </summary>
public static class SandboxEngineServices
{
    /// <param name="register">Adds the engine's services; called only when <c>Sandboxes:Engine</c> is <paramref name="name"/>.</param>
    public static IServiceCollection AddSandboxEngine(this IServiceCollection services, IConfiguration configuration, string name, Action<IServiceCollection> register)
    {
        var names = RegisteredEngines(services);
        if (!names.Add(name))
        {
            throw new InvalidOperationException($"The sandbox engine '{name}' is registered twice.");
        }

        if (string.Equals(configuration.GetSection(SandboxesOptions.Section)[nameof(SandboxesOptions.Engine)], name, StringComparison.OrdinalIgnoreCase))
        {
            register(services);
        }

        return services;
    }

    /// <summary>The names of the engines registered so far.</summary>
    public static IReadOnlyCollection<string> Engines(this IServiceCollection services) => RegisteredEngines(services);

    private static SandboxEngineNames RegisteredEngines(IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(SandboxEngineNames))?.ImplementationInstance is SandboxEngineNames names)
        {
            return names;
        }

        names = new SandboxEngineNames();
        services.AddSingleton(names);
        return names;
    }

    /// <summary>The registry's memory, kept in the service collection itself.</summary>
    private sealed class SandboxEngineNames : HashSet<string>
    {
        public SandboxEngineNames()
            : base(StringComparer.OrdinalIgnoreCase)
        {
        }
    }
}
