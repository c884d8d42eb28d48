namespace Polydev.Contracts.Jobs;

/// <summary>
/// The job the sandbox agent runs: the plaintext of the sealed box (purpose <see cref="SealedJobPurpose"/>) that a
/// client seals to a sandbox's one-job key (docs/events.md, "The job"). Written by the clients, read by the agent,
/// which refuses unknown members. Members left null are omitted from the JSON.
/// </summary>
public sealed class Job
{
    public const string SealedJobPurpose = "execution.job";

    /// <summary>The one version of the job format the agent accepts.</summary>
    public const int CurrentVersion = 1;

    public int Version { get; set; }

    /// <summary><c>anthropic</c>, <c>openai</c> or <c>google</c>.</summary>
    public string Provider { get; set; } = "";

    public JobCredential Credential { get; set; } = new();

    /// <summary>Written to the CLI's stdin, never to an argv.</summary>
    public string Prompt { get; set; } = "";

    /// <summary>
    /// The conversation so far, oldest first: the user's earlier prompts in this thread and this provider's answers
    /// to them (never another provider's, never a failed run). The agent gives it to the CLI with the prompt
    /// (docs/executions.md, "Conversations"); absent for a first turn.
    /// </summary>
    public List<JobTurn>? History { get; set; }

    public JobOptions Options { get; set; } = new();

    /// <summary>32 fresh bytes per job (base64 in JSON): the key of the output stream.</summary>
    public byte[] OutputKey { get; set; } = [];

    /// <summary>The user's egress port with the execution's token.</summary>
    public string? ProxyUrl { get; set; }

    /// <summary>The provider API's base URL for the CLI; chosen by the client, never by the server (which could otherwise send the credential elsewhere).</summary>
    public string? BaseUrl { get; set; }

    /// <summary>PEM: a CA the CLI trusts in addition to the system's.</summary>
    public string? CaBundle { get; set; }
}

/// <summary>One earlier turn of a conversation.</summary>
public sealed class JobTurn
{
    public const string User = "user";
    public const string Assistant = "assistant";

    /// <summary><see cref="User"/> or <see cref="Assistant"/>.</summary>
    public string Role { get; set; } = "";

    public string Text { get; set; } = "";
}

public sealed class JobCredential
{
    /// <summary><see cref="Value"/> is a provider API key, given to the CLI in its environment.</summary>
    public const string ApiKey = "api_key";

    /// <summary><see cref="Value"/> is the content of the CLI's own credential file.</summary>
    public const string CredentialFile = "credential_file";

    /// <summary><see cref="ApiKey"/> or <see cref="CredentialFile"/>.</summary>
    public string Type { get; set; } = "";

    public string Value { get; set; } = "";

    /// <summary>
    /// For a <see cref="CredentialFile"/>: the user's account public key (65-byte P-256, base64). When the CLI rewrites
    /// its credential file during the run (a refreshed token), the agent seals the new file to it in a
    /// <see cref="CredentialEvent"/>, so the client can store it before the old refresh token stops working. Null: no write-back.
    /// </summary>
    public byte[]? WriteBackKey { get; set; }
}

public sealed class JobOptions
{
    /// <summary>The model the CLI should use; its default when absent.</summary>
    public string? Model { get; set; }

    /// <summary>0 = the agent's default (600).</summary>
    public int TimeLimitSeconds { get; set; }

    /// <summary>Limit on the sum of event plaintext bytes; 0 = the agent's default (16 MiB).</summary>
    public long MaxOutputBytes { get; set; }
}
