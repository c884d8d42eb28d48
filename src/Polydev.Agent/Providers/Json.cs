using System.Text;
using System.Text.Json;

namespace Polydev.Agent;

internal static class Json
{
    public static string? Str(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static long? Long(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l) ? l : null;

    public static double? Double(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    public static bool? Bool(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    public static JsonElement Obj(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) ? v : default;

    public static IEnumerable<JsonElement> Arr(this JsonElement e, string name) =>
        e.Obj(name) is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray() : [];

    public static JsonElement? Clone(this JsonElement e) => e.ValueKind == JsonValueKind.Undefined ? null : e.Clone();

    /// <summary>A tool output that may be a string, an array of text blocks, or anything else (written as JSON).</summary>
    public static string? Flatten(this JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Array:
                var text = new StringBuilder();
                foreach (JsonElement item in e.EnumerateArray())
                {
                    text.Append(item.ValueKind == JsonValueKind.String ? item.GetString() : item.Str("text") ?? item.GetRawText());
                }

                return text.ToString();
            default:
                return e.GetRawText();
        }
    }
}
