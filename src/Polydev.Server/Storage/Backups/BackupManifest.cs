using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Polydev.Server.Storage.Backups;

/// <summary>
/// What a backup file is, written as its first entry (<c>polydev-backup.json</c>) so a restore can refuse a file it
/// cannot use before reading the rest: the engine, the schema (every applied migration), the Polydev build and time
/// it was taken, and the database it holds with its size and SHA-256.
/// </summary>
public sealed record BackupManifest(
    string Format,
    int FormatVersion,
    string Engine,
    int SchemaVersion,
    IReadOnlyList<SchemaMigration> Migrations,
    string PolydevVersion,
    DateTimeOffset CreatedAt,
    string Source,
    string Tool,
    BackupPayload Payload)
{
    public const string FormatName = "polydev-backup";

    /// <summary>The layout this build writes and reads: a tar archive of this manifest, then the payload.</summary>
    public const int CurrentFormatVersion = 1;

    public const string EntryName = "polydev-backup.json";

    /// <summary>A manifest larger than this is not one of ours.</summary>
    public const int MaxBytes = 1024 * 1024;

    public static string PolydevBuild { get; } =
        typeof(BackupManifest).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Readable with <c>tar -xOf</c>: the file is for operators, not for a web page, so nothing is escaped that needs no escaping.</summary>
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [JsonIgnore]
    public AppliedSchema Applied => new(Migrations);

    [JsonIgnore]
    public DatabaseEngine DatabaseEngine => EngineFromName(Engine)
        ?? throw new BackupException($"the backup names an unknown database engine '{Engine}'");

    public static BackupManifest Describe(DatabaseEngine engine, AppliedSchema schema, DateTimeOffset createdAt, string source, string tool, BackupPayload payload) =>
        new(FormatName, CurrentFormatVersion, EngineName(engine), schema.Version, schema.Migrations, PolydevBuild, createdAt, source, tool, payload);

    public static string EngineName(DatabaseEngine engine) => engine == DatabaseEngine.Postgres ? "postgresql" : "sqlite";

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Null when <paramref name="json"/> is not a Polydev backup manifest at all.</summary>
    public static BackupManifest? FromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<BackupManifest>(json, Json);
            return manifest is { Format: FormatName, Migrations: not null, Payload: not null, Engine: not null } ? manifest : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static DatabaseEngine? EngineFromName(string name) => name switch
    {
        "sqlite" => DatabaseEngine.Sqlite,
        "postgresql" => DatabaseEngine.Postgres,
        _ => null,
    };
}

/// <summary>The database inside a backup file: its entry name, size and SHA-256 (lower-case hex).</summary>
public sealed record BackupPayload(string Name, [property: JsonPropertyName("sizeBytes")] long Size, string Sha256);
