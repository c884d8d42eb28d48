using System.Text;
using System.Text.Json.Nodes;

namespace Polydev.EndToEnd.Tests.Probe;

/// <summary>One malformed request: what it tries, the path it goes to, and its body with the Content-Type it claims.</summary>
public sealed record BadInput(string What, string Path, byte[]? Body, string? ContentType);

/// <summary>
/// The bad-input corpus the outside reviews ran: for every operation with a body, broken JSON, wrong types in each
/// field, oversized values and every Content-Type and charset variant; for every operation with path values, each
/// value replaced by things that are not ids. Not one of them may get a 5xx.
/// </summary>
public static class BadInputCorpus
{
    private static readonly string[] ContentTypes =
    [
        "application/json; charset=bogus", "application/json; charset=utf-7", "application/json; charset=", "application/json; charset=\"\"",
        "application/json; charset=utf-16", "application/json; charset=utf-32", "application/json; charset=iso-8859-1", "application/json;;;",
        "application/json; charset=utf-8; charset=bogus", "text/plain", "text/json; charset=bogus", "application/xml", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "*/*", "application/*", "bogus", "",
    ];

    private static readonly string[] BrokenBodies =
    [
        "", "null", "[]", "{}", "\"text\"", "0", "{", "}", "{\"a\":", "{\"a\":1,}", "{'a':1}", "\u0000", "{\"\u0000\":1}",
        "\uFEFF{}", "{\"a\":1e999999}", "{\"a\":\"\uD800\"}", new string('[', 5000) + new string(']', 5000),
        "{" + string.Join(',', Enumerable.Range(0, 5000).Select(i => $"\"k{i}\":{i}")) + "}",
    ];

    private static readonly JsonNode?[] WrongValues =
    [
        null, JsonValue.Create(-1), JsonValue.Create(long.MaxValue), JsonValue.Create(1e300), JsonValue.Create(true), JsonValue.Create(""),
        JsonValue.Create("not-a-value"), JsonValue.Create("00000000-0000-0000-0000-000000000000"), JsonValue.Create("\u202Eevil\u200B\r\n\u0000"),
        JsonValue.Create(new string('x', 200_000)), new JsonArray(1, 2), new JsonObject { ["nested"] = new JsonObject() },
    ];

    /// <summary>No dot segments: the client would resolve them, and a <c>..</c> in a message's id becomes a request on its chat.</summary>
    private static readonly string[] PathValues =
    [
        "not-a-guid", "00000000-0000-0000-0000-000000000000", "{00000000-0000-0000-0000-000000000000}", "%00", "%2Fetc%2Fpasswd",
        "%C3%A9", "%FF%FE", "%E2%80%AE", "-1", "9999999999999999999999", new string('a', 5000), "%20", "%0d%0aX-Injected:%201",
    ];

    public static IEnumerable<BadInput> For(ApiOperation operation, Func<string, string> validPathValue, JsonObject? validBody)
    {
        var path = operation.Fill(validPathValue);
        foreach (var parameter in operation.Parameters)
        {
            foreach (var value in PathValues)
            {
                var broken = operation.Fill(name => name == parameter ? value : validPathValue(name));
                yield return new BadInput($"{parameter}={Shorten(value)}", broken, Utf8(validBody), validBody is null ? null : "application/json");
            }
        }

        if (!operation.TakesBody)
        {
            yield break;
        }

        var valid = Utf8(validBody) ?? "{}"u8.ToArray();
        foreach (var contentType in ContentTypes)
        {
            yield return new BadInput($"Content-Type: {contentType}", path, valid, contentType);
        }

        yield return new BadInput("no Content-Type", path, valid, null);
        yield return new BadInput("UTF-16 body", path, Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(valid)), "application/json; charset=utf-16");
        yield return new BadInput("invalid UTF-8", path, [0x7B, 0x22, 0xC3, 0x28, 0xFF, 0x22, 0x3A, 0x31, 0x7D], "application/json");
        yield return new BadInput("3 MiB body", path, Encoding.UTF8.GetBytes("{\"a\":\"" + new string('x', 3 << 20) + "\"}"), "application/json");
        foreach (var body in BrokenBodies)
        {
            yield return new BadInput($"body {Shorten(body)}", path, Encoding.UTF8.GetBytes(body), "application/json");
        }

        foreach (var (field, _) in validBody ?? [])
        {
            foreach (var wrong in WrongValues)
            {
                var changed = validBody!.DeepClone().AsObject();
                changed[field] = wrong?.DeepClone();
                yield return new BadInput($"{field}={Shorten(wrong?.ToJsonString() ?? "null")}", path, Utf8(changed), "application/json");
            }

            var without = validBody!.DeepClone().AsObject();
            without.Remove(field);
            yield return new BadInput($"without {field}", path, Utf8(without), "application/json");
        }
    }

    private static byte[]? Utf8(JsonObject? body) => body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString());

    private static string Shorten(string text) => text.Length <= 24 ? text : text[..24] + $"…({text.Length})";
}
