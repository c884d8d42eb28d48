using System.Text.Json.Serialization;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>Source-generated JSON for the few typed values the Nomad engine writes (answers are read as documents).</summary>
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class NomadJson : JsonSerializerContext;
