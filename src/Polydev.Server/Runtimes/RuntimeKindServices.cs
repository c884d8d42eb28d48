using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Polydev.Contracts;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Runtimes;

/// <summary>Registering runtime kinds: the built-in ones, and any other with one call.</summary>
public static class RuntimeKindServices
{
    /// <summary>Adds a runtime kind (its defaults; <c>Sandboxes:Runtimes:{name}:*</c> may override them). A later call with the same name replaces the kind.</summary>
    public static IServiceCollection AddRuntimeKind(this IServiceCollection services, RuntimeKind kind)
    {
        services.AddSingleton(new RuntimeKindRegistration(kind));
        services.TryAddSingleton<RuntimeKinds>();
        return services;
    }

    /// <summary>The kinds Polydev ships: one per provider CLI, each on its provider's runtime image.</summary>
    public static IServiceCollection AddBuiltInRuntimeKinds(this IServiceCollection services) => services
        .AddRuntimeKind(new RuntimeKind("claude", RuntimeImages.Latest(Providers.Anthropic)) { Provider = Providers.Anthropic })
        .AddRuntimeKind(new RuntimeKind("codex", RuntimeImages.Latest(Providers.OpenAI)) { Provider = Providers.OpenAI })
        .AddRuntimeKind(new RuntimeKind("gemini", RuntimeImages.Latest(Providers.Google)) { Provider = Providers.Google });
}
