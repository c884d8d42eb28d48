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
    /// provider: executions never lease it. Limits sized for Chromium, measured in a login sandbox (docs/images.md,
    /// "Login image"): Xvfb and Chromium with one page open are 9 processes, about 112 pids (pids count threads) and
    /// 220-250 MB; three windows about 135 pids and 270 MB. 512 pids leaves room for the cross-site renderers of a real
    /// login page, the stream's encoder and x11vnc while still stopping a fork bomb; 1 GiB and a whole core for the page
    /// and the encoder. The home (Chromium's profile, a tmpfs counted in the memory) and the scratch /tmp (its shared
    /// memory with --disable-dev-shm-usage) held under 10 MB each; 512 MiB each leaves room for a page's cache.
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
