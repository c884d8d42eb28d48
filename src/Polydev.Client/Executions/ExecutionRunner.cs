using System.Security.Cryptography;
using Polydev.Client.Api;
using Polydev.Client.Terminal;
using Polydev.Client.Vault;
using Polydev.Client.Verbs;
using Polydev.Contracts.Executions;
using Polydev.Contracts.Jobs;
using Polydev.Contracts.Vault;

namespace Polydev.Client.Executions;

/// <summary>
/// Runs one prompt through a provider's CLI in a fresh sandbox, for the signed-in user whose keys open
/// <paramref name="cipher"/>: creates the execution, seals the job on this machine to the sandbox's one-job key,
/// starts it, follows and decrypts the output stream (resuming after a dropped connection), cancels the execution
/// when the caller cancels, and records the exchange in a chat. The server relays ciphertext it cannot read.
/// Callers (<c>polydev run</c>, later the MCP server) see each event as it arrives and the outcome at the end. One
/// runner may run several prompts at once (one per provider, say): each run keeps its own state.
/// </summary>
internal sealed class ExecutionRunner(PolydevApi api, VaultCipher cipher, TimeProvider time)
{
    /// <summary>How long a cancelled run waits for the server to accept the cancellation.</summary>
    private static readonly TimeSpan CancelTimeout = TimeSpan.FromSeconds(5);

    public ExecutionRunner(PolydevApi api, VaultCipher cipher)
        : this(api, cipher, TimeProvider.System)
    {
    }

    /// <summary>
    /// Where a run's refreshed OAuth credential is stored (the CLI rewrote its credential file: the provider rotated the
    /// refresh token). Null: no write-back, and the next run may find the stored refresh token dead.
    /// </summary>
    public ConnectedAccounts? Accounts { get; init; }

    /// <summary>
    /// The user's credential for <paramref name="provider"/>, opened: the one <paramref name="idOrPrefix"/> names, or
    /// the newest.
    /// </summary>
    public async Task<(Guid Id, CredentialSecret Secret)> FindCredentialAsync(string provider, string? idOrPrefix, CancellationToken cancellationToken)
    {
        var credentials = await api.ListCredentialsAsync(provider, cancellationToken);
        if (credentials.Count == 0)
        {
            throw new NoCredentialException($"you have no {provider} credential; add one with `polydev credentials add {provider}`.");
        }

        var chosen = idOrPrefix is null
            ? credentials.OrderByDescending(c => c.CreatedAt).First()
            : IdPrefix.Single(credentials, c => c.Id, idOrPrefix, "credential", "polydev credentials list");
        // Opened as the provider asked for, not as the server labels it: a relabelled credential does not open.
        return (chosen.Id, CredentialSecret.Open(cipher, chosen.Id, provider, chosen.Secret).Secret);
    }

    /// <summary>
    /// Runs <paramref name="request"/>, calling <paramref name="onEvent"/> for every event in order, once each.
    /// Returns when the agent's final chunk arrived, or the server says the execution ended without it.
    /// </summary>
    /// <exception cref="OperationCanceledException">The caller cancelled; the execution was cancelled too.</exception>
    /// <exception cref="CliException">The server refused, or the stream kept breaking.</exception>
    /// <param name="onPhase">Each phase of the run as it is reached (<see cref="RunPhases"/>), the agent's included.</param>
    public async Task<RunOutcome> RunAsync(RunRequest request, Action<ReceivedEvent> onEvent, CancellationToken cancellationToken, Action<RunPhase, RunPhases>? onPhase = null)
    {
        var phases = new RunPhases(time);
        void Reached(RunPhase? phase)
        {
            if (phase is not null)
            {
                onPhase?.Invoke(phase, phases);
            }
        }

        var created = await CreateAsync(request.Provider, cancellationToken);
        Reached(phases.OnAllocated(created.Warm));
        var outputKey = ExecutionJob.NewOutputKey();
        try
        {
            var sealedJob = ExecutionJob.Seal(JobFor(request, created, outputKey, Accounts?.PublicKey), Convert.FromBase64String(created.SandboxPublicKey));
            await api.StartExecutionAsync(created.Id, new StartExecutionRequest(Convert.ToBase64String(sealedJob)), cancellationToken);
            Reached(phases.OnDelivered());
            var transcript = new RunTranscript();
            CredentialEvent? refreshed = null;
            var ending = await new ExecutionStreamFollower(api, time).FollowAsync(
                created.Id,
                outputKey,
                received =>
                {
                    transcript.Add(received.Event);
                    refreshed = received.Event as CredentialEvent ?? refreshed;
                    // The phase first: a status line must make way before the first words are printed.
                    Reached(phases.OnEvent(received.Event));
                    onEvent(received);
                },
                cancellationToken);

            var outcome = new RunOutcome(request, created, ending.Execution, transcript, StoredInChat: null)
            {
                Phases = phases,
                CredentialRefreshed = refreshed is not null && await StoreRefreshAsync(request, refreshed, cancellationToken),
            };
            if (request.ChatId is { } chatId && outcome.Failure?.Kind is not FailureKinds.Cancelled)
            {
                await StoreExchangeAsync(chatId, request, outcome, cancellationToken);
                outcome = outcome with { StoredInChat = chatId };
            }

            return outcome;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stop the sandbox too; it is the user's quota.
            await CancelQuietlyAsync(created.Id);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(outputKey);
        }
    }

    /// <summary>
    /// Leases a sandbox. The request itself is never abandoned midway: the server may have leased the sandbox already,
    /// and one leased for nobody would wait out its start window. A caller that cancels returns at once; the lease,
    /// once it arrives, is cancelled behind it (in a long-lived process such as <c>polydev mcp</c>, where several runs
    /// start together, that frees the sandbox at once).
    /// </summary>
    private async Task<ExecutionCreatedResponse> CreateAsync(string provider, CancellationToken cancellationToken)
    {
        var creating = api.CreateExecutionAsync(new CreateExecutionRequest(provider), CancellationToken.None);
        try
        {
            return await creating.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = CancelOnceCreatedAsync(creating);
            throw;
        }
    }

    private async Task CancelOnceCreatedAsync(Task<ExecutionCreatedResponse> creating)
    {
        try
        {
            await CancelQuietlyAsync((await creating).Id);
        }
        catch (CliException)
        {
            // The lease itself failed: there is nothing to cancel.
        }
    }

    /// <summary>Asks the server to cancel <paramref name="id"/>, briefly; refused, gone or unanswered, the server's own limits end it.</summary>
    private async Task CancelQuietlyAsync(Guid id)
    {
        try
        {
            using var cancel = new CancellationTokenSource(CancelTimeout, time);
            await api.CancelExecutionAsync(id, cancel.Token);
        }
        catch (Exception e) when (e is CliException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>The run's refreshed credential, stored in place of the one it ran with; false when a newer one was stored already.</summary>
    private async Task<bool> StoreRefreshAsync(RunRequest request, CredentialEvent refreshed, CancellationToken cancellationToken) =>
        Accounts is { } accounts && request.CredentialId is { } id
        && await accounts.ReplaceAsync(id, accounts.OpenRefresh(refreshed.Sealed, request.Provider), cancellationToken);

    private static Job JobFor(RunRequest request, ExecutionCreatedResponse created, byte[] outputKey, byte[]? writeBackKey) => new()
    {
        Version = Job.CurrentVersion,
        Provider = request.Provider,
        Credential = new JobCredential
        {
            Type = request.Credential.JobType,
            Value = request.Credential.Secret,
            WriteBackKey = request.Credential.Type == CredentialSecret.OAuth && request.CredentialId is not null ? writeBackKey : null,
        },
        Prompt = request.Prompt,
        History = request.History is { Count: > 0 } history ? [.. history] : null,
        Options = new JobOptions
        {
            Model = request.Model,
            TimeLimitSeconds = request.TimeLimitWithin(created.Limits),
            MaxOutputBytes = 0,
        },
        OutputKey = outputKey,
        ProxyUrl = created.ProxyUrl,
        // The request's endpoint wins over the one stored with the credential.
        BaseUrl = request.BaseUrl ?? request.Credential.BaseUrl,
        CaBundle = request.BaseUrl is null ? request.CaBundle ?? request.Credential.CaBundle : request.CaBundle,
    };

    /// <summary>
    /// Stores a prompt as the user's message in <paramref name="chatId"/>: for runs of several providers on one prompt,
    /// stored once before they start (each run then has <see cref="RunRequest.PromptStored"/>), so that the answers follow
    /// one prompt as the conversation model reads them (<see cref="ConversationHistory"/>).
    /// </summary>
    public async Task StorePromptAsync(Guid chatId, string prompt, string? provider, string? model, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        var body = new ChatMessageBody(ChatMessageBody.User, prompt, provider, model);
        await api.CreateMessageAsync(chatId, new CreateMessageRequest(id, body.Seal(cipher, chatId, id)), cancellationToken);
    }

    /// <summary>The prompt (unless stored already), and the answer — or, for a run that failed, the failure with its sentence (and only what arrived before it failed as text).</summary>
    private async Task StoreExchangeAsync(Guid chatId, RunRequest request, RunOutcome outcome, CancellationToken cancellationToken)
    {
        if (!request.PromptStored)
        {
            await StorePromptAsync(chatId, request.Prompt, request.Provider, request.Model, cancellationToken);
        }

        var answerId = Guid.CreateVersion7();
        var reply = outcome.Failure is { } failure
            ? new ChatMessageBody(ChatMessageBody.Assistant, outcome.Transcript.Answer, request.Provider, request.Model, new ChatFailure(failure.Kind, failure.Status, outcome.FailureSentence!))
            : new ChatMessageBody(ChatMessageBody.Assistant, outcome.Transcript.Answer, request.Provider, request.Model);
        await api.CreateMessageAsync(chatId, new CreateMessageRequest(answerId, reply.Seal(cipher, chatId, answerId)), cancellationToken);
    }
}

/// <summary>The user has no credential for the provider asked for.</summary>
internal sealed class NoCredentialException(string message) : CliException(message);

/// <summary>One prompt for one provider's CLI, with the user's credential for it.</summary>
internal sealed record RunRequest(string Provider, string Prompt, CredentialSecret Credential)
{
    /// <summary>The model the CLI should use; the CLI's default when null.</summary>
    public string? Model { get; init; }

    /// <summary>Seconds the CLI may run; null, or more than the server allows, is the server's limit.</summary>
    public int? TimeLimitSeconds { get; init; }

    /// <summary>The seconds the job gets: <see cref="TimeLimitSeconds"/> within the server's <paramref name="limits"/>.</summary>
    public int TimeLimitWithin(ExecutionLimitsResponse limits) => Math.Min(TimeLimitSeconds ?? limits.MaxRunSeconds, limits.MaxRunSeconds);

    /// <summary>The provider API's base URL for the CLI; when given, it and <see cref="CaBundle"/> replace the endpoint stored with the credential.</summary>
    public string? BaseUrl { get; init; }

    /// <summary>A PEM CA bundle the CLI trusts in addition to the system's.</summary>
    public string? CaBundle { get; init; }

    /// <summary>Store the prompt and the answer in this chat once the CLI has exited.</summary>
    public Guid? ChatId { get; init; }

    /// <summary>The prompt is in <see cref="ChatId"/> already (<see cref="ExecutionRunner.StorePromptAsync"/>): only the answer is stored.</summary>
    public bool PromptStored { get; init; }

    /// <summary>The vault record <see cref="Credential"/> came from: a refreshed OAuth credential replaces it.</summary>
    public Guid? CredentialId { get; init; }

    /// <summary>The conversation so far in this provider's thread (<see cref="ConversationHistory"/>); none for a first turn.</summary>
    public IReadOnlyList<JobTurn>? History { get; init; }

    /// <summary>Never the prompt or the credential, not even by accident through a record's generated ToString.</summary>
    public override string ToString() => $"RunRequest {{ Provider = {Provider}, Model = {Model}, ChatId = {ChatId} }}";
}

/// <summary>How a run ended.</summary>
/// <param name="Execution">The execution as the server recorded its end.</param>
/// <param name="StoredInChat">The chat the exchange was stored in, if any.</param>
internal sealed record RunOutcome(RunRequest Request, ExecutionCreatedResponse Created, ExecutionResponse Execution, RunTranscript Transcript, Guid? StoredInChat)
{
    /// <summary>The CLI exited with code 0.</summary>
    public bool Succeeded => Transcript.ExitReason == ExitReasons.Ok;

    /// <summary>When each phase of the run was reached.</summary>
    public RunPhases? Phases { get; init; }

    /// <summary>The CLI refreshed its OAuth token during the run and the new credential was stored in place of the old.</summary>
    public bool CredentialRefreshed { get; init; }

    /// <summary>
    /// Why the run did not succeed: the agent's classification; for an agent too old to send one, what its exit says;
    /// without an exit at all, the sandbox was lost (or the run cancelled). Null when it succeeded.
    /// </summary>
    public JobFailure? Failure => Succeeded ? null : Transcript.Failure ?? (Transcript.ExitReason switch
    {
        null when Execution.Reason == ExecutionReasons.Cancelled => new JobFailure { Kind = FailureKinds.Cancelled },
        null => new JobFailure { Kind = FailureKinds.SandboxLost, Detail = Execution.Reason },
        ExitReasons.Timeout => new JobFailure { Kind = FailureKinds.TimeLimit },
        ExitReasons.OutputLimit => new JobFailure { Kind = FailureKinds.OutputLimit },
        _ => new JobFailure { Kind = FailureKinds.CliCrashed, Detail = Transcript.LastError },
    });

    /// <summary>The run's time limit as the job said it.</summary>
    public int TimeLimitSeconds => Request.TimeLimitWithin(Created.Limits);

    /// <summary><see cref="Failure"/> in one sentence for the user; null when the run succeeded.</summary>
    public string? FailureSentence => Failure is { } failure
        ? FailureText.For(failure, Request.Provider, CredentialSecretName.Of(Request.Credential), TimeLimitSeconds, Transcript.ExitCode)
        : null;
}
