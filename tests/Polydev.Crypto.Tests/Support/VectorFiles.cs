using System.Text.Json.Nodes;

namespace Polydev.Crypto.Tests.Support;

/// <summary>The checked-in vector files under tests/vectors, copied next to the test assembly at build time.</summary>
internal static class VectorFiles
{
    public const string Hpke = "hpke-rfc9180.json";
    public const string Polydev = "polydev-crypto.json";
    public const string Web = "web-crypto.json";

    public static JsonObject Load(string fileName) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "vectors", fileName)))!.AsObject();

    /// <summary>The file's path in the source tree (not the build output), for regenerating it.</summary>
    public static string SourcePath(string fileName)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Polydev.slnx")))
            {
                return Path.Combine(directory.FullName, "tests", "vectors", fileName);
            }
        }

        throw new InvalidOperationException("Could not find the repository root (Polydev.slnx) above the test output directory.");
    }
}

/// <summary>Reading vector fields: byte strings are lower-case hex.</summary>
internal static class VectorJson
{
    public static byte[] Bytes(this JsonNode node, string field) => Convert.FromHexString(node.Text(field));

    public static string Text(this JsonNode node, string field) =>
        node[field]?.GetValue<string>() ?? throw new KeyNotFoundException($"Vector field '{field}' is missing.");

    public static int Int(this JsonNode node, string field) =>
        node[field]?.GetValue<int>() ?? throw new KeyNotFoundException($"Vector field '{field}' is missing.");

    public static bool Has(this JsonNode node, string field) => node[field] is not null;

    public static IEnumerable<JsonNode> Items(this JsonNode node, string field) =>
        (node[field] ?? throw new KeyNotFoundException($"Vector field '{field}' is missing.")).AsArray().Select(item => item!);

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
