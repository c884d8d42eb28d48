using Dapper;
using Microsoft.Extensions.Options;
using Polydev.Server.Accounts;
using Polydev.Server.Egress;
using Polydev.Server.Executions;
using Polydev.Server.Login.Sessions;
using Polydev.Server.Login.Turn;
using Polydev.Server.Pools;
using Polydev.Server.Runtimes;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Docker.Images;
using Polydev.Server.Sandboxes.Nomad;
using Polydev.Server.Vault;
using Polydev.Server.Web;
using Prometheus;

namespace Polydev.Server.Hosting;

/// <summary>
/// Composes <c>polydev server</c> from its parts: configuration and logging, then each part's services, then the
/// HTTP pipeline and each part's endpoints. Every part registers itself in its own folder (<c>AddVault</c>,
/// <c>MapVault</c> in <c>Vault/VaultServices.cs</c>, …). Tests and benchmarks build the very same application.
/// </summary>
public static class PolydevServer
{
    public const string EnvironmentPrefix = "POLYDEV_";

    static PolydevServer() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    /// <summary>
    /// What a polydev process beside the server starts from (the egress gateway, the Docker helper): Kestrel without
    /// its Server header, configured as the server is (appsettings.json beside the binary, <c>POLYDEV_</c> variables,
    /// then <paramref name="overrides"/>), logging through the one logging path.
    /// </summary>
    public static WebApplicationBuilder CreateCompanionBuilder(IReadOnlyDictionary<string, string?> overrides)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = Environments.Production });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.Configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddInMemoryCollection(overrides);
        builder.Logging.AddPolydevLogging(builder.Configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

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

        builder.Logging.AddPolydevLogging(builder.Configuration);
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

    /// <remarks>
    /// Order matters where parts run hosted services: they stop in reverse order of registration, so the sandboxes
    /// (executions, then pools) stop before the egress proxy they use.
    /// </remarks>
    private static void ConfigureServices(IServiceCollection services, IConfiguration configuration, ServerOptions serverOptions)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddStorage(serverOptions.Database, serverOptions.Data);
        services.AddSingleton<StorageInitializer>();
        services.AddObservability(configuration);
        services.AddHttpApi(serverOptions.TrustedProxies);
        services.AddAccounts(configuration);
        services.AddVault(configuration);
        services.AddEgress(configuration);
        services.AddTurn(configuration);
        ConfigureSandboxes(services, configuration);
        services.AddWebClient(configuration);
    }

    /// <summary>
    /// The runtime kinds, the sandbox engine, the pools and the executions, registered after the egress service so
    /// they stop before it: executions end first, then the pools drain, then the proxy closes.
    /// </summary>
    private static void ConfigureSandboxes(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<SandboxesOptions>(configuration.GetSection(SandboxesOptions.Section));
        services.Configure<ExecutionsOptions>(configuration.GetSection(ExecutionsOptions.Section));
        services.AddUserDataOwner<ExecutionStore>();
        services.AddBuiltInRuntimeKinds();
        services.AddLoginSessions(configuration);
        AddSandboxEngines(services, configuration);
        var sandboxes = configuration.GetSection(SandboxesOptions.Section).Get<SandboxesOptions>() ?? new SandboxesOptions();
        sandboxes.Validate(services.Engines());
        if (!sandboxes.Enabled)
        {
            return;
        }

        services.AddPools();
        services.AddExecutions();
        services.AddLoginSessionService();
    }

    /// <summary>Every sandbox engine this build has; <c>Sandboxes:Engine</c> picks one. <c>polydev images</c> composes them the same way.</summary>
    public static IServiceCollection AddSandboxEngines(IServiceCollection services, IConfiguration configuration) =>
        services.AddDockerEngine(configuration).AddNomadEngine(configuration, BuildHostImages.Catalog);

    private static void ConfigurePipeline(WebApplication app)
    {
        app.UseTrustedProxies();
        app.UseRequestObserver();
        app.UseHttpApi();
        app.UseWebClient();
        app.UseAccounts();
        app.UseAuthentication();
        app.UseAuthorization();

        var serverOptions = app.Configuration.Get<ServerOptions>() ?? new ServerOptions();
        app.MapHttpApi(serveDocs: serverOptions.ApiDocs ?? app.Environment.IsDevelopment());
        app.MapObservability();
        app.MapAccounts();
        app.MapVault();
        app.MapEgress();
        app.MapExecutionEndpoints(app.Services.GetRequiredService<IOptions<ExecutionsOptions>>().Value);
        app.MapRuntimeEndpoints();
        app.MapLoginSessionEndpoints();
    }
}
