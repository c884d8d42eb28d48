using Microsoft.Extensions.Logging.Console;
using Prometheus;

namespace Polydev.Server.Observability;

/// <summary>
/// The one logging path (JSON lines on the console, secrets redacted), the server's own metrics, the per-request log
/// line, and <c>/metrics</c>. Each part adds its own metrics class next to its code.
/// </summary>
public static class ObservabilityServices
{
    public static ILoggingBuilder AddPolydevLogging(this ILoggingBuilder logging, IConfiguration configuration)
    {
        logging.AddConfiguration(configuration.GetSection("Logging"));
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        // Data protection comes with authentication but protects nothing of ours: bearer tokens are opaque.
        logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        logging.AddConsole(options => options.FormatterName = RedactingJsonFormatter.FormatterName);
        logging.AddConsoleFormatter<RedactingJsonFormatter, ConsoleFormatterOptions>();
        return logging;
    }

    public static IServiceCollection AddObservability(this IServiceCollection services, IConfiguration configuration)
    {
        UsePolydevDefaultSeries();
        services.AddSingleton(new PolydevMetrics(Metrics.DefaultRegistry));
        services.AddWatchedCertificates(configuration);
        return services;
    }

    /// <summary>
    /// Keeps prometheus-net's process and .NET series (<c>process_*</c>, <c>dotnet_*</c>) and drops its adapters of .NET
    /// meters and event counters: they export counters as gauges, without units (<c>…_pause_time</c>) and with a
    /// <c>_count</c> suffix on gauges, which <c>promtool check metrics</c> refuses, and say again what the process series
    /// say. Has effect before the first scrape only, so every host calls it while it is composed.
    /// </summary>
    public static void UsePolydevDefaultSeries() =>
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressMeters = true });

    /// <summary>Outermost, so it logs the status the client finally got, errors included.</summary>
    public static IApplicationBuilder UseRequestObserver(this IApplicationBuilder app) => app.UseMiddleware<RequestObserver>();

    public static IEndpointRouteBuilder MapObservability(this IEndpointRouteBuilder app)
    {
        // Made now, so its series is there from the first scrape.
        app.ServiceProvider.GetRequiredService<CertificateExpiry>();
        app.MapMetrics("/metrics");
        return app;
    }
}
