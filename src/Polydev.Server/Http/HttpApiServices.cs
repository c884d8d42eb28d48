using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polydev.Contracts;

namespace Polydev.Server.Http;

/// <summary>
/// What every endpoint shares: routing, JSON, one error shape (problem+json), security headers, trusted proxies,
/// health endpoints and the OpenAPI document.
/// </summary>
public static class HttpApiServices
{
    /// <param name="trustedProxies">Addresses whose <c>X-Forwarded-For</c> is believed; none means nobody's is.</param>
    public static IServiceCollection AddHttpApi(this IServiceCollection services, IEnumerable<string> trustedProxies)
    {
        services.AddRoutingCore();
        services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemDefaults.Apply);
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<UnhandledExceptionHandler>();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(options => PolydevJson.Configure(options.SerializerOptions));
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in trustedProxies)
            {
                options.KnownProxies.Add(System.Net.IPAddress.TryParse(proxy, out var address)
                    ? address
                    : throw new InvalidOperationException($"TrustedProxies entry '{proxy}' is not an IP address."));
            }
        });
        services.AddHealthChecks();
        services.AddOpenApi("v1", options => options.AddDocumentTransformer<OpenApiDocumentInfo>());
        services.TryAddEnumerable(ServiceDescriptor.Transient<IApiDescriptionProvider, TypelessBodyApiDescriptions>());
        return services;
    }

    /// <summary>
    /// The real client address from trusted proxies. Empty known-proxy lists would make the middleware trust
    /// everyone, so without configured proxies it is not used at all.
    /// </summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app)
    {
        if (app.ApplicationServices.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value.KnownProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    /// <summary>Errors as problem+json, the API's security headers, then routing.</summary>
    public static IApplicationBuilder UseHttpApi(this IApplicationBuilder app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<SecurityHeaders>();
        app.UseMiddleware<JsonCharset>();
        app.UseRouting();
        return app;
    }

    /// <summary>
    /// The browsable docs' policy: Swagger UI's own files only, no inline or evaluated script, no frames, no form posts,
    /// requests only to this origin.
    /// </summary>
    public const string DocsContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>
    /// Liveness, readiness (the checks tagged <c>ready</c>), the OpenAPI document and, when <paramref name="serveDocs"/>,
    /// its browsable docs under a strict content security policy.
    /// </summary>
    public static IEndpointRouteBuilder MapHttpApi(this WebApplication app, bool serveDocs)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).WithTags("Health");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).WithTags("Health");
        app.MapOpenApi("/openapi/{documentName}.json");
        if (serveDocs)
        {
            app.UseWhen(context => context.Request.Path.StartsWithSegments("/docs"), docs => docs.Use((context, next) =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = DocsContentSecurityPolicy;
                headers.XFrameOptions = "DENY";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                return next(context);
            }));
            app.UseSwaggerUI(options =>
            {
                options.RoutePrefix = "docs";
                options.SwaggerEndpoint("/openapi/v1.json", "Polydev API v1");
                options.DocumentTitle = "Polydev API";
            });
        }

        return app;
    }
}
