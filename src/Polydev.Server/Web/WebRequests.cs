using Microsoft.Net.Http.Headers;

namespace Polydev.Server.Web;

internal enum WebRequestKind
{
    /// <summary>Not the web client's: the API, health, metrics, the API docs, or a non-browser request.</summary>
    None,

    /// <summary>A file under <c>/assets</c>.</summary>
    Asset,

    /// <summary>A browser navigating to <c>/</c> or an app path such as <c>/chats</c>: answered with index.html.</summary>
    Page,
}

/// <summary>Which requests the web client answers. The client routes app paths itself, so any of them gets index.html.</summary>
internal static class WebRequests
{
    public static readonly PathString Assets = "/assets";

    /// <summary>Paths owned by the server's other parts; a browser asking there gets their answer, never the page.</summary>
    private static readonly PathString[] ServerPaths = ["/api", "/health", "/metrics", "/openapi", "/docs", Assets];

    public static WebRequestKind Classify(HttpRequest request)
    {
        if (request.Path.StartsWithSegments(Assets))
        {
            return WebRequestKind.Asset;
        }

        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            || ServerPaths.Any(prefix => request.Path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
            || !AcceptsHtml(request))
        {
            return WebRequestKind.None;
        }

        return WebRequestKind.Page;
    }

    private static bool AcceptsHtml(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(type => type.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
}
