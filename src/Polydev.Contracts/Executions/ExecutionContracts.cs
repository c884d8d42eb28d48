namespace Polydev.Contracts.Executions;

/// <summary>An execution's life: allocated (a sandbox waits for the sealed job), running, then one of the ends.</summary>
public static class ExecutionStates
{
    public const string Allocated = "allocated";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsFinished(string state) => state is Succeeded or Failed or Cancelled;
}

/// <summary>
/// Why an execution ended, as far as the server can tell without reading the output. The agent's own exit
/// event (inside the encrypted stream) says more: whether the CLI itself succeeded.
/// </summary>
public static class ExecutionReasons
{
    /// <summary>The agent finished the job and closed its stream.</summary>
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";
    /// <summary>The server's own run-time limit passed (the job's limit, inside the sealed job, usually strikes first).</summary>
    public const string Timeout = "timeout";
    public const string OutputLimit = "output_limit";
    /// <summary>The sandbox hit its memory limit.</summary>
    public const string OutOfMemory = "out_of_memory";
    /// <summary>The sandbox disappeared or was killed from outside.</summary>
    public const string SandboxLost = "sandbox_lost";
    /// <summary>The machine the sandbox ran on was lost (a cluster node went down); the sandbox went with it.</summary>
    public const string NodeLost = "node_lost";
    /// <summary>The agent refused the job (could not open it, or it was malformed).</summary>
    public const string JobRefused = "job_refused";
    /// <summary>The agent failed or its stream was malformed.</summary>
    public const string AgentError = "agent_error";
    /// <summary>The server stopped or crashed while the execution ran.</summary>
    public const string ServerRestart = "server_restart";
    /// <summary>Allocated but never started within the allocation's lifetime.</summary>
    public const string NotStarted = "not_started";
}

/// <param name="Provider"><c>anthropic</c>, <c>openai</c> or <c>google</c>.</param>
public sealed record CreateExecutionRequest(string? Provider);

/// <summary>
/// A sandbox is reserved: seal the job to <see cref="SandboxPublicKey"/> and start it before
/// <see cref="StartBy"/>. <see cref="ProxyUrl"/> (the caller's egress port with a token for this execution only)
/// goes into the job.
/// </summary>
/// <param name="SandboxPublicKey">The sandbox agent's one-job P-256 key: base64 of the 65-byte uncompressed point.</param>
/// <param name="Warm">Whether the sandbox came from the warm pool.</param>
public sealed record ExecutionCreatedResponse(
    Guid Id,
    string Provider,
    string SandboxPublicKey,
    string ProxyUrl,
    bool Warm,
    DateTimeOffset StartBy,
    ExecutionLimitsResponse Limits);

/// <summary>The server's limits for one execution; the sealed job's own limits should not exceed them.</summary>
public sealed record ExecutionLimitsResponse(int MaxRunSeconds, long MaxOutputBytes);

/// <param name="SealedJob">The job sealed to the sandbox's key (purpose <c>execution.job</c>), base64.</param>
public sealed record StartExecutionRequest(string? SealedJob);

/// <summary>An execution's metadata; never its content.</summary>
/// <param name="Reason">Why it ended (<see cref="ExecutionReasons"/>), once it has.</param>
/// <param name="ExitCode">The agent's exit code, once it has exited.</param>
/// <param name="Chunks">Output chunks stored so far; the stream resumes from any of them.</param>
public sealed record ExecutionResponse(
    Guid Id,
    string Provider,
    string State,
    string? Reason,
    bool Warm,
    int? ExitCode,
    long OutputBytes,
    long Chunks,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);

/// <summary>
/// The media type of <c>GET /api/executions/{id}/stream</c>: the output stream's frames as the agent wrote them
/// (4-byte big-endian length, then the frame), from the requested sequence number on, until the final frame.
/// </summary>
public static class ExecutionStreamFormat
{
    public const string MediaType = "application/vnd.polydev.output-stream";
}

/// <summary>
/// What a user may run on this server: one entry per provider whose CLI it runs. <paramref name="Ready"/> sandboxes
/// wait warm; with none, the next run starts a sandbox first and takes longer.
/// </summary>
/// <param name="Sandboxes">Whether the server runs sandboxes at all (an engine is configured).</param>
public sealed record RuntimesResponse(bool Sandboxes, IReadOnlyList<RuntimeResponse> Runtimes, ExecutionLimitsResponse Limits);

/// <param name="Kind">The runtime kind (<c>claude</c>, <c>codex</c>, <c>gemini</c>).</param>
/// <param name="ImageVersion">The runtime image's version the pool serves; null until it is known.</param>
public sealed record RuntimeResponse(string Kind, string Provider, bool Enabled, int Ready, int WarmTarget, string? ImageVersion);
