using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Polydev.Contracts.Jobs;

namespace Polydev.Client.Tests.Contracts;

/// <summary>
/// Writes the web client's TypeScript for the job and the events from the C# contract (Polydev.Contracts.Jobs), as
/// its source-generated JSON metadata describes it: the member names and order on the wire, and which members are
/// optional (nullable in C#, so omitted when null). Events become one interface per <c>type</c> and a union of them.
/// </summary>
internal static class TypeScriptContract
{
    public const string RelativePath = "web/src/app/run/contract.generated.ts";

    public const string RegenerateCommand = "POLYDEV_REGENERATE=1 dotnet test tests/Polydev.Client.Tests --filter FullyQualifiedName~TypeScriptContract";

    private static readonly NullabilityInfoContext Nullability = new();

    public static string Generate()
    {
        var ts = new StringBuilder();
        ts.Append($"""
            // Generated from the C# job and event contract (src/Polydev.Contracts/Jobs; docs/events.md) by
            // tests/Polydev.Client.Tests/Contracts/TypeScriptContract.cs. Do not edit: change the C# types, then run
            //   {RegenerateCommand}

            /** The purpose the job is sealed under (`Job.SealedJobPurpose`). */
            export const sealedJobPurpose = {Literal(Job.SealedJobPurpose)};

            /** The job format's version (`Job.CurrentVersion`). */
            export const jobVersion = {Job.CurrentVersion};

            """);
        Union(ts, "CredentialType", typeof(JobCredential));
        Union(ts, "EventType", typeof(EventTypes));
        Union(ts, "ExitReason", typeof(ExitReasons));
        Union(ts, "ErrorSource", typeof(ErrorSources));
        Union(ts, "FailureKind", typeof(FailureKinds));

        var written = new HashSet<Type>();
        Interface(ts, JobJsonContext.Default.Job, JobJsonContext.Default, discriminator: null, written);

        var events = EventJsonContext.Default.AgentEvent.PolymorphismOptions
            ?? throw new InvalidOperationException("AgentEvent is not polymorphic.");
        var names = new List<string>();
        foreach (var derived in events.DerivedTypes)
        {
            var info = EventJsonContext.Default.GetTypeInfo(derived.DerivedType)!;
            Interface(ts, info, EventJsonContext.Default, (events.TypeDiscriminatorPropertyName, (string)derived.TypeDiscriminator!), written);
            names.Add(derived.DerivedType.Name);
        }

        ts.Append($"""

            /** One event, the plaintext of one output chunk; `{events.TypeDiscriminatorPropertyName}` says which. */
            export type AgentEvent =
            {string.Join("\n", names.Select(n => $"  | {n}"))};

            """);
        return ts.ToString();
    }

    /// <summary>The public string constants of <paramref name="type"/> as a union of string literals.</summary>
    private static void Union(StringBuilder ts, string name, Type type)
    {
        var values = type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .OrderBy(f => f.MetadataToken)
            .Select(f => Literal((string)f.GetRawConstantValue()!));
        ts.Append($"\n/** `{type.Name}`. */\nexport type {name} = {string.Join(" | ", values)};\n");
    }

    private static void Interface(StringBuilder ts, JsonTypeInfo info, JsonSerializerContext context, (string Name, string Value)? discriminator, HashSet<Type> written)
    {
        if (!written.Add(info.Type))
        {
            return;
        }

        var nested = new List<JsonTypeInfo>();
        ts.Append($"\nexport interface {info.Type.Name} {{\n");
        if (discriminator is var (name, value))
        {
            ts.Append($"  readonly {name}: {Literal(value)};\n");
        }

        foreach (var property in info.Properties.Where(p => !IsIgnored(info.Type, p)))
        {
            var optional = IsOptional(info.Type, property);
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            ts.Append($"  readonly {property.Name}{(optional ? "?" : "")}: {TypeName(type)};\n");
            var element = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : type;
            if (element.Namespace == typeof(Job).Namespace)
            {
                nested.Add(context.GetTypeInfo(element)
                    ?? throw new InvalidOperationException($"{element.Name} is not in the contract's JSON context."));
            }
        }

        ts.Append("}\n");
        foreach (var child in nested)
        {
            Interface(ts, child, context, discriminator: null, written);
        }
    }

    /// <summary>Never on the wire (<c>[JsonIgnore]</c>), like <see cref="AgentEvent.Type"/>, which the discriminator carries.</summary>
    private static bool IsIgnored(Type owner, JsonPropertyInfo property) =>
        Member(owner, property).GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.Always };

    /// <summary>Optional = may be null in C#, and so omitted from the JSON.</summary>
    private static bool IsOptional(Type owner, JsonPropertyInfo property) =>
        property.PropertyType.IsValueType
            ? Nullable.GetUnderlyingType(property.PropertyType) is not null
            : Nullability.Create(Member(owner, property)).ReadState != NullabilityState.NotNull;

    private static PropertyInfo Member(Type owner, JsonPropertyInfo property) =>
        property.AttributeProvider as PropertyInfo
            ?? owner.GetProperties().Single(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name) == property.Name);

    private static string TypeName(Type type) => type switch
    {
        _ when type == typeof(string) => "string",
        _ when type == typeof(bool) => "boolean",
        _ when type == typeof(int) || type == typeof(long) || type == typeof(double) => "number",
        // Bytes are base64 in JSON.
        _ when type == typeof(byte[]) => "string",
        // Any JSON value, as the CLI gave it.
        _ when type == typeof(JsonElement) => "unknown",
        _ when type.Namespace == typeof(Job).Namespace => type.Name,
        _ when type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) => $"readonly {TypeName(type.GetGenericArguments()[0])}[]",
        _ => throw new NotSupportedException($"No TypeScript type for {type}; add one to TypeScriptContract.TypeName."),
    };

    private static string Literal(string value) => JsonSerializer.Serialize(value);
}
