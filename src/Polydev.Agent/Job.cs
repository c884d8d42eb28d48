using System.Text.Json.Serialization;

namespace Polydev.Agent;

/// <summary>The plaintext of a sealed job (purpose <see cref="SealedJobPurpose"/>), as the client writes it. See docs/events.md.</summary>
internal sealed class Job
{
    public const string SealedJobPurpose = "execution.job";

    public int Version { get; set; }

    public string? Provider { get; set; }

    public JobCredential? Credential { get; set; }

    public string? Prompt { get; set; }

    public JobOptions? Options { get; set; }

    public byte[]? OutputKey { get; set; }

    public string? ProxyUrl { get; set; }

    /// <summary>The provider API's base URL for the CLI; chosen by the client, never by the server (which could otherwise send the credential elsewhere).</summary>
    public string? BaseUrl { get; set; }

    public string? CaBundle { get; set; }
}

internal sealed class JobCredential
{
    public const string ApiKey = "api_key";
    public const string CredentialFile = "credential_file";

    /// <summary><c>api_key</c> or <c>credential_file</c>.</summary>
    public string? Type { get; set; }

    public string? Value { get; set; }
}

internal sealed class JobOptions
{
    public string? Model { get; set; }

    public int TimeLimitSeconds { get; set; }

    public long MaxOutputBytes { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(Job))]
internal sealed partial class JobJsonContext : JsonSerializerContext;
