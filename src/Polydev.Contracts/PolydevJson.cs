using System.Diagnostics.CodeAnalysis;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Polydev.Contracts;

/// <summary>The one JSON shape of the API: camelCase, base64 for bytes, ISO 8601 times.</summary>
public static class PolydevJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>
    /// Applies Polydev's rules to <paramref name="options"/>: a missing or null non-nullable
    /// field is an error, not a silent default.
    /// </summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        return options;
    }

    /// <summary>
    /// <paramref name="value"/> as a request body that states its length. HttpClient sends <c>JsonContent</c> chunked,
    /// its length unknown until written; with <c>Content-Length</c> the server refuses a body over an endpoint's limit
    /// before reading any of it, and parses no chunks.
    /// </summary>
    [RequiresUnreferencedCode("Serializes the value's runtime type by reflection.")]
    [RequiresDynamicCode("Serializes the value's runtime type by reflection.")]
    public static ByteArrayContent ToContent(object value)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), Options));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }
}
