using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Polydev.Server.Runtimes;
using Prometheus;

namespace Polydev.Server.Login.Sessions;

/// <summary>Login sessions' registration: options, the registry, the relay, and (when an engine runs) the service.</summary>
public static class LoginSessionServices
{
    /// <summary>Where the viewer loads noVNC from.</summary>
    public const string NoVncPath = "/novnc";

    /// <summary>
    /// Registers login sessions' options, registry, relay and metrics, and the <c>login</c> runtime kind with the agent's
    /// limits from <c>Login:Sessions</c> (call after <see cref="RuntimeKindServices.AddBuiltInRuntimeKinds"/>: this
    /// registration replaces the built-in one).
    /// </summary>
    public static IServiceCollection AddLoginSessions(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(LoginSessionsOptions.Section).Get<LoginSessionsOptions>() ?? new LoginSessionsOptions();
        options.Validate();
        services.Configure<LoginSessionsOptions>(configuration.GetSection(LoginSessionsOptions.Section));
        services.AddRuntimeKind(RuntimeKindServices.Login with
        {
            Agent = RuntimeKindServices.Login.Agent with
            {
                Arguments = ["login", "--time-limit-s", Seconds(options.TimeLimit), "--idle-s", Seconds(options.IdleLimit)],
            },
        });
        services.AddSingleton(new LoginSessionMetrics(Metrics.DefaultRegistry));
        services.AddSingleton<LoginSessionRegistry>();
        services.AddSingleton<LoginChannelRelay>();
        return services;
    }

    /// <summary>
    /// The part that leases sandboxes, only when an engine runs (without one, starting a session is a 503). Call after
    /// the pools and executions: the server ends its live sessions, destroying their sandboxes, before the pools stop.
    /// </summary>
    public static IServiceCollection AddLoginSessionService(this IServiceCollection services)
    {
        services.AddSingleton<LoginSessionAccess>();
        services.AddSingleton<LoginSessionWatcher>();
        services.AddSingleton<LoginSessionService>();
        services.AddHostedService<LoginSessionShutdown>();
        return services;
    }

    public static WebApplication MapLoginSessionEndpoints(this WebApplication app)
    {
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        var noVnc = app.Services.GetRequiredService<IOptions<LoginSessionsOptions>>().Value.NoVncDirectory;
        if (Directory.Exists(Path.Combine(noVnc, "core")))
        {
            app.UseStaticFiles(new StaticFileOptions { RequestPath = NoVncPath, FileProvider = new PhysicalFileProvider(noVnc) });
        }

        app.MapLoginSessions();
        return app;
    }

    private static string Seconds(TimeSpan span) => ((int)Math.Ceiling(span.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
