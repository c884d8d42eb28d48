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
}
