using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Polydev.Server.Web;

/// <summary>
/// The end of the web client's branch: index.html for a page request, a problem for anything that found nothing
/// (an unknown asset, or no built client at all).
/// </summary>
internal sealed class WebPageResponder(WebClientSite site, WebMetrics metrics)
{
    public Task RespondAsync(HttpContext context)
    {
        var kind = WebRequests.Classify(context.Request);
        if (kind == WebRequestKind.Page && site.Index is { } index)
        {
            metrics.Pages.Inc();
            WebHeaders.ApplyPage(context.Response);
            return PageResult(index).ExecuteAsync(context);
        }

        metrics.Missing.Inc();
        var detail = !site.Exists || site.Index is null
            ? WebClientSite.NotBuiltDetail
            : $"There is no asset at {context.Request.Path}: the page that asked for it is older than the web client installed; reload it.";
        return Problems.NotFound(detail).ExecuteAsync(context);
    }

    /// <summary>The file result answers conditional requests (If-None-Match, If-Modified-Since) with 304 itself.</summary>
    private static IResult PageResult(IFileInfo index)
    {
        var lastModified = index.LastModified;
        var tag = new EntityTagHeaderValue($"\"{lastModified.UtcTicks:x}-{index.Length:x}\"");
        return Results.File(index.PhysicalPath!, "text/html; charset=utf-8", lastModified: lastModified, entityTag: tag);
    }
}
