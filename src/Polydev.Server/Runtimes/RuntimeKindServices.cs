using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Polydev.Contracts;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Runtimes;

/// <summary>Registering runtime kinds: the built-in ones, and any other with one call.</summary>
public static class RuntimeKindServices
{
    /// <summary>
    /// The <c>login</c> kind (issue 15): a browser on a virtual screen, streamed to the user, on the login image. No
    /// provider: executions never lease it. Its limits are sized for Chromium (docs/images.md, "Login image"): a
    /// browser with a login page open and the stream's encoder want a whole core and about 300 MB; Chromium counts
    /// about 110 threads with three pages open (pids count threads); its profile in the home and its shared memory
    /// under /tmp (--disable-dev-shm-usage) take tens of MB, so 512 MiB each leaves room for a page's cache.
    /// </summary>
    public static RuntimeKind Login { get; } = new(LoginImages.Name, LoginImages.Latest)
    {
        WarmTarget = 1,
        Limits = SandboxLimits.Default with { Cpus = 1, MemoryBytes = 1L << 30, PidsLimit = 512, ScratchBytes = 512L << 20 },
        Agent = new AgentEntrypoint("/usr/local/bin/polydev-agent", ["login"]),
    };

    /// <summary>Adds a runtime kind (its defaults; <c>Sandboxes:Runtimes:{name}:*</c> may override them). A later call with the same name replaces the kind.</summary>
    public static IServiceCollection AddRuntimeKind(this IServiceCollection services, RuntimeKind kind)
    {
        services.AddSingleton(new RuntimeKindRegistration(kind));
        services.TryAddSingleton<RuntimeKinds>();
        return services;
    }

    /// <summary>The kinds Polydev ships: one per provider CLI, each on its provider's runtime image, and <see cref="Login"/>.</summary>
    public static IServiceCollection AddBuiltInRuntimeKinds(this IServiceCollection services) => services
        .AddRuntimeKind(new RuntimeKind("claude", RuntimeImages.Latest(Providers.Anthropic)) { Provider = Providers.Anthropic })
        .AddRuntimeKind(new RuntimeKind("codex", RuntimeImages.Latest(Providers.OpenAI)) { Provider = Providers.OpenAI })
        .AddRuntimeKind(new RuntimeKind("gemini", RuntimeImages.Latest(Providers.Google)) { Provider = Providers.Google })
        .AddRuntimeKind(Login);
}
