using Dapper;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Server.Accounts;
using Polydev.Server.Egress;
using Polydev.Server.Egress.Proxy;
using Polydev.Server.Executions;
using Polydev.Server.Pools;
using Polydev.Server.Sandboxes;
using Polydev.Server.Runtimes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Http;
using Polydev.Server.Observability;
using Polydev.Server.Storage;
using Polydev.Server.Vault;
using Polydev.Server.Web;
using Prometheus;

namespace Polydev.Server.Hosting;

/// <summary>
/// Composes <c>polydev server</c>: configuration, storage, accounts, vault, observability and
/// the HTTP pipeline. Tests and benchmarks build the very same application.
/// </summary>
public static class PolydevServer
{
    public const string EnvironmentPrefix = "POLYDEV_";

    static PolydevServer() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    /// <param name="args">Unused by the parser (the CLI owns argument parsing), kept for the host.</param>
    /// <param name="overrides">Settings given as command-line options; they win over everything else.</param>
    /// <param name="configureServices">Lets tests replace services such as the clock.</param>
    public static WebApplication Build(IReadOnlyDictionary<string, string?> overrides, Action<IServiceCollection>? configureServices = null, Action<ILoggingBuilder>? configureLogging = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = AuthEndpoints.AccountsRequestLimit;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
        });

        builder.Configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddInMemoryCollection(overrides);

        var serverOptions = builder.Configuration.Get<ServerOptions>() ?? new ServerOptions();
        builder.WebHost.UseUrls(serverOptions.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        ConfigureLogging(builder);
        configureLogging?.Invoke(builder.Logging);
        ConfigureServices(builder.Services, builder.Configuration, serverOptions);
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        ConfigurePipeline(app);
        return app;
    }

    /// <summary>Migrates storage, then starts listening.</summary>
    public static async Task StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        await app.Services.GetRequiredService<StorageInitializer>().InitializeAsync(cancellationToken);
        if (app.Services.GetService<ExecutionService>() is { } executions)
        {
            // Before any listener opens: the sandbox network (the egress ports bind to its gateway), then
            // whatever a previous run of this server left behind.
            await executions.InitializeAsync(cancellationToken);
            await app.Services.GetRequiredService<PoolManager>().InitializeAsync(cancellationToken);
        }

        await app.StartAsync(cancellationToken);
    }

    private static void ConfigureLogging(WebApplicationBuilder builder)
    {
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        // Data protection comes with authentication but protects nothing of ours: bearer tokens are opaque.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.Logging.AddConsole(options => options.FormatterName = RedactingJsonFormatter.FormatterName);
        builder.Logging.AddConsoleFormatter<RedactingJsonFormatter, ConsoleFormatterOptions>();
    }

    private static void ConfigureServices(IServiceCollection services, IConfiguration configuration, ServerOptions serverOptions)
    {
        services.AddSingleton(TimeProvider.System);
        services.Configure<AccountsOptions>(configuration.GetSection(AccountsOptions.Section));
        services.Configure<VaultOptions>(configuration.GetSection(VaultOptions.Section));

        services.AddSingleton(_ => Database.Create(serverOptions.Database, serverOptions.Data));
        services.AddSingleton<Migrator>();
        services.AddSingleton<StorageInitializer>();
        services.AddSingleton(new PolydevMetrics(Metrics.DefaultRegistry));

        services.AddSingleton<AccountStore>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<SessionIssuer>();
        services.AddSingleton<SecretHasher>();
        services.AddSingleton<AttemptThrottle>();
        services.AddSingleton<PreloginSalts>();
        services.AddSingleton<AccountRules>();
        services.AddSingleton<ChatStore>();
        services.AddSingleton<CredentialStore>();

        services.Configure<EgressOptions>(configuration.GetSection(EgressOptions.Section));
        services.AddSingleton(new EgressMetrics(Metrics.DefaultRegistry));
        services.AddSingleton<PortRegistry>();
        services.AddSingleton<EgressTokenStore>();
        services.AddSingleton<EgressTokenAuthenticator>();
        services.AddSingleton<IEgressAuthenticator>(sp => sp.GetRequiredService<EgressTokenAuthenticator>());
        services.AddSingleton<EgressProxy>();
        services.AddSingleton<EgressService>();
        services.AddHostedService(sp => sp.GetRequiredService<EgressService>());
        services.AddSingleton<IAccountObserver>(sp => sp.GetRequiredService<EgressService>());
        services.AddSingleton<EgressLiveCheck>();

        ConfigureSandboxes(services, configuration);

        services.AddRoutingCore();
        services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemDefaults.Apply);
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<UnhandledExceptionHandler>();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(options => PolydevJson.Configure(options.SerializerOptions));

        services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        services.Configure<AdminOptions>(configuration.GetSection(AdminOptions.Section));
        services.AddSingleton<IAuthorizationHandler, AdminAuthorizationHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(PolydevClaims.InteractivePolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(PolydevClaims.TokenKindClaim, TokenKinds.Session))
            .AddPolicy(AdminRequirement.Policy, policy => policy.RequireAuthenticatedUser().AddRequirements(new AdminRequirement()));

        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in serverOptions.TrustedProxies)
            {
                options.KnownProxies.Add(System.Net.IPAddress.TryParse(proxy, out var address)
                    ? address
                    : throw new InvalidOperationException($"TrustedProxies entry '{proxy}' is not an IP address."));
            }
        });
        services.AddWebClient(configuration);
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        services.AddOpenApi("v1", options => options.AddDocumentTransformer<OpenApiDocumentInfo>());
    }

    /// <summary>
    /// The runtime kinds, the sandbox engine, the pools and the executions, registered after the egress service so
    /// they stop before it: executions end first, then the pools drain, then the proxy closes.
    /// </summary>
    private static void ConfigureSandboxes(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<SandboxesOptions>(configuration.GetSection(SandboxesOptions.Section));
        services.Configure<ExecutionsOptions>(configuration.GetSection(ExecutionsOptions.Section));
        services.AddSingleton<ExecutionStore>();
        services.AddBuiltInRuntimeKinds();
        AddSandboxEngines(services, configuration);
        var sandboxes = configuration.GetSection(SandboxesOptions.Section).Get<SandboxesOptions>() ?? new SandboxesOptions();
        sandboxes.Validate(services.Engines());
        if (!sandboxes.Enabled)
        {
            return;
        }

        services.AddPools();
        services.AddExecutions();
    }

    /// <summary>Every sandbox engine this build has; <c>Sandboxes:Engine</c> picks one. <c>polydev images</c> composes them the same way.</summary>
    public static IServiceCollection AddSandboxEngines(IServiceCollection services, IConfiguration configuration) =>
        services.AddDockerEngine(configuration);

    private static void ConfigurePipeline(WebApplication app)
    {
        // Outermost, so it logs the status the client finally got, errors included.
        // Empty known-proxy lists would make the middleware trust everyone, so without configured
        // proxies it is not used at all.
        if (app.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value.KnownProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        app.UseMiddleware<RequestObserver>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<SecurityHeaders>();
        app.UseRouting();
        app.UseHttpMetrics();
        app.UseWebClient();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).WithTags("Health");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).WithTags("Health");
        app.MapMetrics("/metrics");
        app.MapOpenApi("/openapi/{documentName}.json");
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = "docs";
            options.SwaggerEndpoint("/openapi/v1.json", "Polydev API v1");
            options.DocumentTitle = "Polydev API";
        });

        var vault = app.Services.GetRequiredService<IOptions<VaultOptions>>().Value;
        app.MapAuthEndpoints();
        app.MapAccountEndpoints();
        app.MapApiTokenEndpoints();
        app.MapChatEndpoints(vault);
        app.MapCredentialEndpoints(vault);
        app.MapEgressEndpoints();
        app.MapExecutionEndpoints(app.Services.GetRequiredService<IOptions<ExecutionsOptions>>().Value);
    }
}
