using System.Text.Json;

namespace Polydev.Client.Api;

/// <summary>Reads the <c>detail</c> (else the <c>title</c>) of an RFC 9457 problem response, as one line.</summary>
internal static class ProblemDetail
{
    private const int MaxLength = 500;

    public static async Task<string?> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not ("application/problem+json" or "application/json"))
        {
            return null;
        }

        try
        {
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var name in (string[])["detail", "title"])
            {
                if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
                {
                    return OneLine(text);
                }
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static string OneLine(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return line.Length <= MaxLength ? line : line[..MaxLength] + "…";
    }
}
