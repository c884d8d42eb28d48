using Microsoft.Net.Http.Headers;

namespace Polydev.Server.Http;

/// <summary>
/// JSON is UTF-8 (RFC 8259, section 8.1). A JSON body that names another charset, one nobody knows (<c>bogus</c>,
/// <c>utf-7</c>) or none at all (<c>charset=</c>) is refused here with <c>415</c>, before any endpoint reads it: the
/// framework would otherwise throw from deep inside body binding and answer <c>500</c>.
/// </summary>
internal sealed class JsonCharset(RequestDelegate next)
{
    public const string Detail =
        "JSON request bodies are UTF-8: send Content-Type: application/json, or application/json; charset=utf-8.";

    public Task InvokeAsync(HttpContext context)
    {
        // What HttpClient's JSON content and a browser's fetch send, and what the framework reads as it is: no parse,
        // which cost every write a header parse and a list (issue 19).
        if (context.Request.ContentType is null or "application/json" or "application/json; charset=utf-8")
        {
            return next(context);
        }

        if (context.Request.ContentType is { } contentType
            && MediaTypeHeaderValue.TryParse(contentType, out var mediaType) // not a media type at all: the endpoint refuses it
            && (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
            && mediaType.Parameters.Where(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)).ToList() is { Count: > 0 } charsets)
        {
            var charset = HeaderUtilities.RemoveQuotes(charsets[0].Value);
            if (charsets.Count > 1 || !(charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)))
            {
                context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                return Problems.UnsupportedMediaType(Detail).ExecuteAsync(context);
            }

            // The framework reads the charset as it is written and fails on a quoted "utf-8": say UTF-8 by saying nothing.
            mediaType.Parameters.Remove(charsets[0]);
            context.Request.ContentType = mediaType.ToString();
        }

        return next(context);
    }
}
