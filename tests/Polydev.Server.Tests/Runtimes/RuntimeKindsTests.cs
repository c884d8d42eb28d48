using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Polydev.Server.Hosting;
using Polydev.Server.Runtimes;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Tests.Runtimes;

/// <summary>The registry of runtime kinds: built-in kinds, the operator's <c>Sandboxes:Runtimes:*</c> over them, a kind added by one call, and what is refused.</summary>
public sealed class RuntimeKindsTests
{
    [Fact]
    public void The_built_in_kinds_serve_the_three_providers_with_the_operators_settings_laid_over_them()
    {
        var kinds = Resolve(new()
        {
            ["Sandboxes:Runtimes:claude:Image"] = "example/claude:7",
            ["Sandboxes:Runtimes:claude:WarmTarget"] = "0",
            ["Sandboxes:Runtimes:claude:MemoryBytes"] = "1073741824",
            ["Sandboxes:Runtimes:claude:Environment:POLYDEV_AGENT_CLAUDE"] = "/usr/local/bin/other",
            // As an environment variable in capitals would give it.
            ["Sandboxes:Runtimes:GEMINI:Enabled"] = "false",
            ["Sandboxes:Runtimes:codex:StartAhead"] = "false",
        });

        Assert.Equal(["anthropic", "google", "openai"], kinds.Providers);
        var claude = kinds.ForProvider("anthropic")!;
        Assert.Equal(("claude", "example/claude:7", 0, 32, 1L << 30), (claude.Name, claude.Image, claude.WarmTarget, claude.MaxSandboxes, claude.Limits.MemoryBytes));
        Assert.Equal(SandboxLimits.Default.Cpus, claude.Limits.Cpus);
        Assert.Equal("/usr/local/bin/other", claude.Environment["POLYDEV_AGENT_CLAUDE"]);
        Assert.Equal(["/usr/local/bin/polydev-agent", "serve"], claude.Agent.Command);
        // Issue 19: the agent starts the provider's CLI while the sandbox waits, unless the operator says not to.
        Assert.Equal(["/usr/local/bin/polydev-agent", "serve", "--start-ahead", "anthropic"], claude.AgentCommand);
        Assert.Equal(["/usr/local/bin/polydev-agent", "serve"], kinds.ForProvider("openai")!.AgentCommand);
        Assert.Equal(RuntimeEgress.Proxy, claude.Egress);
        Assert.Equal(("codex", "polydev/runtime-openai:latest"), (kinds.ForProvider("openai")!.Name, kinds.ForProvider("openai")!.Image));
        Assert.False(kinds.Find("gemini")!.Enabled);
        Assert.Equal(["claude", "codex", "login"], kinds.Enabled.Select(k => k.Name).Order());
        Assert.Null(kinds.ForProvider("cohere"));
    }

    /// <summary>Issue 15: the login kind serves no provider (executions never lease it), sized for Chromium, its agent's own verb.</summary>
    [Fact]
    public void The_login_kind_is_built_in_on_the_login_image_with_no_provider_and_its_own_limits()
    {
        var kinds = Resolve(new() { ["Sandboxes:Runtimes:login:MemoryBytes"] = "2147483648" });

        var login = kinds.Find("login")!;
        Assert.Equal(("polydev/login:latest", null, 1, true), (login.Image, login.Provider, login.WarmTarget, login.Enabled));
        Assert.Equal((1.0, 2L << 30, 512, 512L << 20), (login.Limits.Cpus, login.Limits.MemoryBytes, login.Limits.PidsLimit, login.Limits.ScratchBytes));
        Assert.Equal((SandboxLimits.Default.User, true, true), (login.Limits.User, login.Limits.ReadOnlyRoot, login.Limits.NoNewPrivileges));
        Assert.Equal(["/usr/local/bin/polydev-agent", "login"], login.AgentCommand);
        Assert.Equal(RuntimeEgress.Proxy, login.Egress);
        Assert.DoesNotContain("login", kinds.Providers);
        Assert.Null(kinds.ForProvider(null));
    }

    [Fact]
    public void A_kind_is_one_registration_and_a_later_one_replaces_it()
    {
        var kinds = Resolve(new() { ["Sandboxes:Runtimes:echo:MaxSandboxes"] = "3" }, services => services
            .AddRuntimeKind(new RuntimeKind("echo", "example/echo:1") { Provider = "echo" })
            .AddRuntimeKind(new RuntimeKind("echo", "example/echo:2") { Provider = "echo", Egress = RuntimeEgress.None }));

        var echo = kinds.ForProvider("echo")!;
        Assert.Equal(("echo", "example/echo:2", RuntimeEgress.None, 3), (echo.Name, echo.Image, echo.Egress, echo.MaxSandboxes));
        Assert.Equal(5, kinds.All.Count);
    }

    [Theory]
    [InlineData("Sandboxes:Runtimes:mistral:WarmTarget", "1", "Sandboxes:Runtimes:mistral is not a runtime kind; the kinds are claude, codex, gemini, login.")]
    [InlineData("Sandboxes:Runtimes:codex:WarmTarget", "40", "Sandboxes:Runtimes:codex: WarmTarget (40) must be between 0 and MaxSandboxes (32), and MaxSandboxes at least 1.")]
    [InlineData("Sandboxes:Runtimes:codex:MaxSandboxes", "0", "Sandboxes:Runtimes:codex: WarmTarget (2) must be between 0 and MaxSandboxes (0), and MaxSandboxes at least 1.")]
    public void Settings_that_cannot_work_stop_the_registry_with_a_message_naming_them(string key, string value, string message)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Resolve(new() { [key] = value }));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Two_kinds_serving_one_provider_are_refused()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Resolve(new(), services =>
            services.AddRuntimeKind(new RuntimeKind("claude-next", "example/claude:8") { Provider = "anthropic" })));
        Assert.Equal("Runtime kinds claude and claude-next both serve provider anthropic; one kind serves a provider.", e.Message);
    }

    [Fact]
    public void An_engine_nobody_registered_is_refused_naming_the_registered_ones()
    {
        var e = Assert.Throws<InvalidOperationException>(() => PolydevServer.Build(new Dictionary<string, string?> { ["Sandboxes:Engine"] = "kubernetes" }));
        Assert.Equal("Sandboxes:Engine 'kubernetes' is not known; use 'docker', 'nomad' or 'none'.", e.Message);
    }

    private static RuntimeKinds Resolve(Dictionary<string, string?> settings, Action<IServiceCollection>? more = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.Configure<SandboxesOptions>(configuration.GetSection(SandboxesOptions.Section));
        services.AddBuiltInRuntimeKinds();
        more?.Invoke(services);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<RuntimeKinds>();
    }
}
