namespace Polydev.Server.Hosting;

/// <summary>
/// The server's top-level settings. Each comes from, in rising precedence: appsettings.json,
/// a <c>POLYDEV_</c> environment variable (<c>POLYDEV_URLS</c>, <c>POLYDEV_DATA</c>,
/// <c>POLYDEV_DATABASE</c>), and the matching <c>polydev server</c> option.
/// </summary>
public sealed class ServerOptions
{
    public const string DefaultUrls = "http://127.0.0.1:8080";

    /// <summary>Where to listen (<c>--urls</c>), semicolon-separated.</summary>
    public string Urls { get; set; } = DefaultUrls;

    /// <summary>The data directory (<c>--data</c>); holds the SQLite file.</summary>
    public string Data { get; set; } = "./data";

    /// <summary>A PostgreSQL connection string (<c>--database</c>); empty means SQLite under <see cref="Data"/>.</summary>
    public string? Database { get; set; }

    /// <summary>
    /// Addresses of reverse proxies (TLS terminators) in front of the server. Their
    /// <c>X-Forwarded-For</c> is trusted, so per-address login limits see the real client;
    /// from anyone else it is ignored.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>
    /// Serve Swagger UI at <c>/docs</c> (<c>POLYDEV_APIDOCS=true</c>). Unset: only in the Development environment.
    /// The OpenAPI document at <c>/openapi/v1.json</c> is always served; the page is a second web application on the
    /// client's origin, so production servers leave it off.
    /// </summary>
    public bool? ApiDocs { get; set; }
}
