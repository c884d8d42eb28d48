using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Polydev.EndToEnd.Tests.Probe;

/// <summary>
/// One operation of the server's OpenAPI document: the probe reads the list from <c>/openapi/v1.json</c> itself, so an
/// operation added later is probed without anyone remembering to add it (and fails until the probe knows its values).
/// </summary>
public sealed partial record ApiOperation(string Method, string Template, bool TakesBody)
{
    public string Name => $"{Method} {Template}";

    public IReadOnlyList<string> Parameters => [.. PathParameter().Matches(Template).Select(m => m.Groups[1].Value)];

    public bool HasPathValues => Parameters.Count > 0;

    public static IReadOnlyList<ApiOperation> ReadAll(JsonNode document)
    {
        var operations = new List<ApiOperation>();
        foreach (var (template, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is "parameters" or "summary" or "description" or "servers")
                {
                    continue;
                }

                operations.Add(new ApiOperation(method.ToUpperInvariant(), template, operation?["requestBody"] is not null));
            }
        }

        return operations;
    }

    /// <summary>The path with each <c>{name}</c> replaced by what <paramref name="value"/> gives for it (already escaped).</summary>
    public string Fill(Func<string, string> value) => PathParameter().Replace(Template, m => value(m.Groups[1].Value));

    [GeneratedRegex(@"\{([A-Za-z]+)\}")]
    private static partial Regex PathParameter();
}
