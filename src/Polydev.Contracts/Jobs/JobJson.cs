using System.Text.Json.Serialization;

namespace Polydev.Contracts.Jobs;

/// <summary>
/// The job's JSON (source-generated, so the NativeAOT agent needs no reflection): camelCase, null members omitted,
/// and unknown members refused, so a misspelt option is an error rather than silently ignored.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(Job))]
public sealed partial class JobJsonContext : JsonSerializerContext;

/// <summary>
/// The events' JSON: camelCase, null members omitted; unknown members are ignored and the <c>type</c> may come
/// anywhere in the object, so readers take what a newer agent writes.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowOutOfOrderMetadataProperties = true)]
[JsonSerializable(typeof(AgentEvent))]
public sealed partial class EventJsonContext : JsonSerializerContext;
