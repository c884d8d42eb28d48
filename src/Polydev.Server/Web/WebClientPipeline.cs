using System.IO.Compression;
using Microsoft.AspNetCore.ResponseCompression;
using Prometheus;

namespace Polydev.Server.Web;

/// <summary>
/// Serves the built web client next to the API: index.html for browser navigations to <c>/</c> and app paths, the
/// hashed files under <c>/assets</c>, both compressed. Everything else passes on untouched, so the API keeps its
/// own answers (and its no-store caching, and stays uncompressed: its bodies carry tokens).
/// </summary>
public static partial class WebClientPipeline
{
    public static void AddWebClient(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(WebOptions.Section).Get<WebOptions>() ?? new WebOptions();
        services.AddSingleton(_ => new WebClientSite(options));
        services.AddSingleton(new WebMetrics(Metrics.DefaultRegistry));
        services.AddSingleton<WebPageResponder>();
        services.AddResponseCompression(compression =>
        {
            // Only the web client's files pass through this middleware, and they hold no secret, so compressing
            // them over TLS gives a BREACH-style attack nothing to guess.
            compression.EnableForHttps = true;
            compression.Providers.Add<BrotliCompressionProvider>();
            compression.Providers.Add<GzipCompressionProvider>();
        });
        services.Configure<BrotliCompressionProviderOptions>(brotli => brotli.Level = CompressionLevel.Optimal);
        services.Configure<GzipCompressionProviderOptions>(gzip => gzip.Level = CompressionLevel.Optimal);
    }

    /// <summary>Goes after routing: only requests that matched no endpoint are the web client's.</summary>
    public static void UseWebClient(this WebApplication app)
    {
        var site = app.Services.GetRequiredService<WebClientSite>();
        if (!site.Exists)
        {
            LogNotBuilt(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebClientPipeline)), site.Root);
        }

        var metrics = app.Services.GetRequiredService<WebMetrics>();
        var responder = app.Services.GetRequiredService<WebPageResponder>();
        var assets = site.Assets;
        app.UseWhen(
            context => context.GetEndpoint() is null && WebRequests.Classify(context.Request) != WebRequestKind.None,
            web =>
            {
                web.UseResponseCompression();
                if (assets is not null)
                {
                    web.UseStaticFiles(new StaticFileOptions
                    {
                        RequestPath = WebRequests.Assets,
                        FileProvider = assets,
                        // Called for 200, 304 and 412 alike, so every answer about an asset carries its caching.
                        OnPrepareResponse = file =>
                        {
                            metrics.Assets.Inc();
                            WebHeaders.ApplyAsset(file.Context.Response);
                        },
                    });
                }

                web.Run(responder.RespondAsync);
            });
    }

    [LoggerMessage(EventName = "web_client_not_built", Level = LogLevel.Warning,
        Message = "No web client at {Root}: the API runs, but / answers 404 until the client is built (npm run build:app in web/) and the server restarted, or Web:Root points at a built client.")]
    private static partial void LogNotBuilt(ILogger logger, string root);
}
