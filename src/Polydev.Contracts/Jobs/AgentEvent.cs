using System.Text.Json;
using System.Text.Json.Serialization;

namespace Polydev.Contracts.Jobs;

/// <summary>
/// One event of the normalized schema (docs/events.md, "Events"): the plaintext of one output chunk, written by the
/// sandbox agent, read by the clients. The <c>type</c> member names the kind; members left null are omitted.
/// A type this side does not know reads as a plain <see cref="AgentEvent"/>, which readers skip, so a newer agent
/// can add types.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", IgnoreUnrecognizedTypeDiscriminators = true)]
[JsonDerivedType(typeof(AcceptedEvent), EventTypes.Accepted)]
[JsonDerivedType(typeof(StartEvent), EventTypes.Start)]
[JsonDerivedType(typeof(TextEvent), EventTypes.Text)]
[JsonDerivedType(typeof(ToolUseEvent), EventTypes.ToolUse)]
[JsonDerivedType(typeof(ToolResultEvent), EventTypes.ToolResult)]
[JsonDerivedType(typeof(ResultEvent), EventTypes.Result)]
[JsonDerivedType(typeof(ErrorEvent), EventTypes.Error)]
[JsonDerivedType(typeof(RetryEvent), EventTypes.Retry)]
[JsonDerivedType(typeof(ExitEvent), EventTypes.Exit)]
[JsonDerivedType(typeof(CredentialEvent), EventTypes.Credential)]
public class AgentEvent
{
    [JsonConstructor]
    internal AgentEvent()
    {
    }

    /// <summary>The <c>type</c> on the wire (<see cref="EventTypes"/>); null for a type this side does not know.</summary>
    [JsonIgnore]
    public virtual string? Type => null;
}

/// <summary>The agent opened the job and is starting the CLI: always the first chunk (sequence 0).</summary>
public sealed class AcceptedEvent : AgentEvent
{
    [JsonIgnore]
    public override string Type => EventTypes.Accepted;

    public string Provider { get; set; } = "";
}

/// <summary>The CLI started a session (its own id).</summary>
public sealed class StartEvent : AgentEvent
{
    [JsonIgnore]
    public override string Type => EventTypes.Start;

    public string? Model { get; set; }

    public string? Session { get; set; }
}

/// <summary>Assistant text; consecutive text events concatenate to the answer.</summary>
public sealed class TextEvent : AgentEvent
{
    [JsonIgnore]
    public override string Type => EventTypes.Text;

    public string Text { get; set; } = "";
}

/// <summary>The CLI runs a tool.</summary>
public sealed class ToolUseEvent : AgentEvent
{
    [JsonIgnore]
    public override string Type => EventTypes.ToolUse;

    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>Any JSON, as the CLI gave it.</summary>
    public JsonElement? Input { get; set; }
}

/// <summary>A tool's output, matched to its <see cref="ToolUseEvent"/> by <see cref="Id"/>.</summary>
public sealed class ToolResultEvent : AgentEvent
{
    [JsonIgnore]
    public override string Type => EventTypes.ToolResult;

    public string Id { get; set; } = "";

    public string? Output { get; set; }

    public bool IsError { get; set; }
}

/// <summary>The turn ended; usage as the CLI reports it.</summary>
public sealed class ResultEvent : AgentEvent
{
    [JsonIgnore]
    public override string Type => EventTypes.Result;

    public string? Text { get; set; }

    public bool IsError { get; set; }

    public EventUsage? Usage { get; set; }

    public double? CostUsd { get; set; }

    public long? DurationMs { get; set; }
}

public sealed class EventUsage
{
    public long? InputTokens { get; set; }

    public long? OutputTokens { get; set; }

    public long? CachedInputTokens { get; set; }
}

/// <summary>An error: the CLI's, a stray stdout line, the CLI's stderr, or the agent's own (<see cref="ErrorSources"/>).</summary>
public sealed class ErrorEvent : AgentEvent
{
    [JsonIgnore]
    public override string Type => EventTypes.Error;

    /// <summary>One of <see cref="ErrorSources"/>.</summary>
    public string Source { get; set; } = "";

    public string Message { get; set; } = "";
}

/// <summary>A request of the CLI to the provider failed and the CLI will try again (as far as the CLI reports it).</summary>
public sealed class RetryEvent : AgentEvent
{
    [JsonIgnore]
    public override string Type => EventTypes.Retry;

    /// <summary>The provider's HTTP status; absent when no answer came.</summary>
    public int? Status { get; set; }

    /// <summary>The number of this retry (1 for the first), when the CLI says.</summary>
    public int? Attempt { get; set; }

    /// <summary>How many retries the CLI allows, when it says.</summary>
    public int? MaxRetries { get; set; }

    public long? DelayMs { get; set; }

    public string? Message { get; set; }
}

/// <summary>Always the final chunk, exactly once.</summary>
public sealed class ExitEvent : AgentEvent
{
    [JsonIgnore]
    public override string Type => EventTypes.Exit;

    /// <summary>The CLI's exit code; absent when it never started.</summary>
    public int? ExitCode { get; set; }

    /// <summary>One of <see cref="ExitReasons"/>.</summary>
    public string Reason { get; set; } = "";

    /// <summary>Why the job did not succeed; absent when it did.</summary>
    public JobFailure? Failure { get; set; }

    /// <summary>Where the job's time went inside the sandbox; absent from an agent too old to measure it.</summary>
    public JobTimings? Timings { get; set; }
}

/// <summary>
/// The job's phases inside the sandbox (docs/events.md, "Timings"), each in milliseconds since the agent received the
/// job, measured on the agent's monotonic clock; a phase the job never reached is absent. The egress pair is measured
/// at the agent's own relay in front of the egress proxy, so it is the CLI's traffic as it leaves the sandbox.
/// </summary>
public sealed class JobTimings
{
    /// <summary>The credential file (or key) is in place.</summary>
    public long? CredentialPlacedMs { get; set; }

    /// <summary>The CLI's process was started, or, when <see cref="CliStartedAhead"/>, the job was handed to it.</summary>
    public long? CliSpawnedMs { get; set; }

    /// <summary>The CLI was started while the warm sandbox waited for the job, so its start-up came before the job.</summary>
    public bool? CliStartedAhead { get; set; }

    /// <summary>The CLI sent its first byte towards the egress proxy (its first connection).</summary>
    public long? EgressFirstByteMs { get; set; }

    /// <summary>The first byte from the provider arrived through the proxy's tunnel (after the proxy's CONNECT answer).</summary>
    public long? ProviderFirstByteMs { get; set; }

    /// <summary>The first text event was sent.</summary>
    public long? FirstTextMs { get; set; }

    /// <summary>The CLI had exited and its output was read; the exit event follows.</summary>
    public long? EndMs { get; set; }
}

/// <summary>
/// The CLI rewrote its credential file during the run (it refreshed its token; the provider may have retired the old
/// refresh token): the new file, sealed to the user's account public key (<see cref="JobCredential.WriteBackKey"/>,
/// purpose <see cref="SealedPurpose"/>), for the client to store in place of the old one. Sent just before <c>exit</c>.
/// </summary>
public sealed class CredentialEvent : AgentEvent
{
    /// <summary>The sealed box's purpose; its plaintext is a <c>LoginCapturedCredential</c> (the same shape a login captures).</summary>
    public const string SealedPurpose = "credential.refresh";

    [JsonIgnore]
    public override string Type => EventTypes.Credential;

    /// <summary>The sealed box, base64.</summary>
    public string Sealed { get; set; } = "";
}

/// <summary>A failure as the agent classified it.</summary>
public sealed class JobFailure
{
    /// <summary>One of <see cref="FailureKinds"/>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>The provider's (or the proxy's) HTTP status that decided the kind, when there was one.</summary>
    public int? Status { get; set; }

    /// <summary>What the CLI said about it, one line (for a "details" view; never shown by default).</summary>
    public string? Detail { get; set; }
}
