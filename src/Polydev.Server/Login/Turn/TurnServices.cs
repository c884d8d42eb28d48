using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polydev.Server.Hosting;
using Prometheus;

namespace Polydev.Server.Login.Turn;

/// <summary>
/// TURN for login sessions: the options (checked here, so a bad setting stops the server at start with its name), the
/// shared secret, the credentials the session's two ends get, and the embedded coturn.
/// </summary>
public static class TurnServices
{
    public static IServiceCollection AddTurn(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(TurnOptions.Section);
        var options = section.Get<TurnOptions>() ?? new TurnOptions();
        TurnOptionsValidation.Validate(options);
        services.Configure<TurnOptions>(section);
        if (options.HasCertificate)
        {
            services.AddWatchedCertificate("turn", options.Certificate!);
        }

        var data = configuration[nameof(ServerOptions.Data)] is { Length: > 0 } configured ? configured : new ServerOptions().Data;
        services.AddSingleton(TurnFiles.Under(data));
        services.TryAddSingleton(_ => new TurnMetrics(Metrics.DefaultRegistry));
        // Lazy: a server with TURN off makes no secret file. PublicationOnly: a file it could not read is read again
        // at the next attempt rather than failing for good (two first readers race safely: the file is created once).
        services.AddSingleton(sp => new Lazy<TurnSecret>(
            () => TurnSecret.Resolve(sp.GetRequiredService<IOptions<TurnOptions>>().Value, sp.GetRequiredService<TurnFiles>()),
            LazyThreadSafetyMode.PublicationOnly));
        services.AddSingleton<TurnCredentials>();
        services.AddSingleton<EmbeddedTurnServer>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedTurnServer>());
        return services;
    }
}
