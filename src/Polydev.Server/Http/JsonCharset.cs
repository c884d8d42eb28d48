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
        switch (Judge(context.Request.ContentType))
        {
            case Verdict.Refused:
                context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                return Problems.UnsupportedMediaType(Detail).ExecuteAsync(context);
            case Verdict.Utf8Named:
                // The framework reads the charset as it is written and fails on a quoted "utf-8": say UTF-8 by saying nothing.
                MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType);
                var charset = mediaType!.Parameters.First(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase));
                mediaType.Parameters.Remove(charset);
                context.Request.ContentType = mediaType.ToString();
                break;
        }

        return next(context);
    }

    internal enum Verdict
    {
        /// <summary>Not JSON, or JSON without a charset: the endpoint decides.</summary>
        Unchanged,

        /// <summary>JSON that names UTF-8 (in any case, quoted or not).</summary>
        Utf8Named,

        /// <summary>JSON that names any other charset, an empty one, or more than one.</summary>
        Refused,
    }

    internal static Verdict Judge(string? contentType)
    {
        // Not a media type at all: the endpoint's own content-type check refuses it with 415.
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            return Verdict.Unchanged;
        }

        var isJson = mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);
        var charsets = mediaType.Parameters.Where(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)).ToList();
        if (!isJson || charsets.Count == 0)
        {
            return Verdict.Unchanged;
        }

        var charset = HeaderUtilities.RemoveQuotes(charsets[0].Value);
        return charsets.Count == 1 && (charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            ? Verdict.Utf8Named
            : Verdict.Refused;
    }
}
