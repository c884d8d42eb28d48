namespace Polydev.Agent;

/// <summary>
/// Decides why a job did not succeed, from what the agent sees while it runs — the provider's status in the CLI's
/// retries and errors, the proxy's own answer when the CLI only says it could not connect — and says when a job
/// should end at once rather than after the CLI's retries: a rejected credential, a refused egress, an unreachable
/// provider (docs/events.md, "Failures").
/// </summary>
internal sealed class FailureClassifier(Uri? proxy, string targetHost, int targetPort)
{
    private const int MaxDetailChars = 300;

    private readonly object _gate = new();
    private JobFailure? _evidence;
    private string? _lastError;
    private Task<JobFailure?>? _probe;

    /// <summary>
    /// Takes one event in. Returns the failure that should end the job now, or null to let it go on; a tunnel the CLI
    /// could not open starts <see cref="ProbeAsync"/> (once), whose answer may end it too.
    /// </summary>
    public JobFailure? Observe(AgentEvent e)
    {
        int? status = (e as RetryEvent)?.Status;
        string? text = e is ErrorEvent { Source: not (ErrorSources.Cli or ErrorSources.Stdout) } ? null : Evidence(e);
        if (text is null && status is null)
        {
            return null;
        }

        lock (_gate)
        {
            _lastError = text ?? _lastError;
        }

        if (text is not null && ProviderStatus.IsTunnelFailure(text))
        {
            // A status in a tunnel failure is the proxy's, not the provider's: the probe tells which.
            return null;
        }

        status ??= text is null ? null : ProviderStatus.In(text);
        JobFailure? found = status switch
        {
            401 or 403 => Failure(FailureKinds.CredentialRejected, status, text),
            407 => Failure(FailureKinds.EgressRefused, status, text),
            429 => Failure(FailureKinds.RateLimited, status, text),
            >= 400 => Failure(FailureKinds.ProviderError, status, text),
            _ when text is not null && ProviderStatus.IsCredentialRejection(text) => Failure(FailureKinds.CredentialRejected, null, text),
            _ => null,
        };
        if (found is not null)
        {
            Record(found);
            return found.Kind is FailureKinds.CredentialRejected or FailureKinds.EgressRefused ? found : null;
        }

        return null;
    }

    /// <summary>Whether the text of <paramref name="e"/> says a connection or tunnel failed, so the proxy should be asked (once).</summary>
    public bool WantsProbe(AgentEvent e)
    {
        string? text = Evidence(e);
        lock (_gate)
        {
            // A retry without a status is one that got no answer at all.
            return _probe is null && (e is RetryEvent { Status: null } || (text is not null && (ProviderStatus.IsTunnelFailure(text) || ProviderStatus.IsConnectionFailure(text))));
        }
    }

    /// <summary>
    /// Asks the proxy (<see cref="TunnelProbe"/>): a refusal is <see cref="FailureKinds.EgressRefused"/>, no way
    /// through <see cref="FailureKinds.ProviderUnreachable"/> — both end the job; an open tunnel says nothing.
    /// </summary>
    public Task<JobFailure?> ProbeAsync(string evidence, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _probe ??= RunProbeAsync(evidence, cancellationToken);
        }
    }

    private async Task<JobFailure?> RunProbeAsync(string evidence, CancellationToken cancellationToken)
    {
        int? status = await TunnelProbe.StatusAsync(proxy, targetHost, targetPort, cancellationToken);
        JobFailure? found = status switch
        {
            >= 200 and < 300 => null,
            >= 400 and < 500 => Failure(FailureKinds.EgressRefused, status, evidence),
            _ => Failure(FailureKinds.ProviderUnreachable, status, evidence),
        };
        if (found is not null)
        {
            Record(found);
        }

        return found;
    }

    /// <summary>
    /// The failure of a job that ended with <paramref name="reason"/>; null when it succeeded. What the provider or
    /// the proxy said outranks how the job ended (a CLI retrying a 429 until the time limit was rate-limited), except a
    /// cancel, which the user asked for.
    /// </summary>
    public async Task<JobFailure?> ConcludeAsync(string reason, int? exitCode, bool cancelled)
    {
        if (reason == ExitReasons.Ok)
        {
            return null;
        }

        if (cancelled)
        {
            return new JobFailure { Kind = FailureKinds.Cancelled };
        }

        Task<JobFailure?>? probe;
        lock (_gate)
        {
            probe = _probe;
        }

        if (probe is not null)
        {
            await Task.WhenAny(probe, Task.Delay(TimeSpan.FromSeconds(12)));
        }

        lock (_gate)
        {
            return _evidence ?? reason switch
            {
                ExitReasons.Timeout => new JobFailure { Kind = FailureKinds.TimeLimit },
                ExitReasons.OutputLimit => new JobFailure { Kind = FailureKinds.OutputLimit },
                _ => Failure(FailureKinds.CliCrashed, null, _lastError ?? (exitCode is { } code ? $"exit code {code}" : null)),
            };
        }
    }

    /// <summary>What an event says about a failure, in the CLI's words: a retry's message, an error's, a failed turn's text.</summary>
    public static string? Evidence(AgentEvent e) => e switch
    {
        RetryEvent retry => retry.Message,
        ErrorEvent error => error.Message,
        ResultEvent { IsError: true } result => result.Text,
        _ => null,
    };

    /// <summary>Keeps the strongest evidence: what the proxy refused, then the credential, the rate limit, reachability, other errors.</summary>
    private void Record(JobFailure found)
    {
        lock (_gate)
        {
            if (_evidence is null || Rank(found.Kind) > Rank(_evidence.Kind))
            {
                _evidence = found;
            }
        }
    }

    private static int Rank(string kind) => kind switch
    {
        FailureKinds.EgressRefused => 5,
        FailureKinds.CredentialRejected => 4,
        FailureKinds.RateLimited => 3,
        FailureKinds.ProviderUnreachable => 2,
        _ => 1,
    };

    private static JobFailure Failure(string kind, int? status, string? text) => new()
    {
        Kind = kind,
        Status = status,
        Detail = text is null ? null : OneLine(text),
    };

    private static string OneLine(string text)
    {
        string line = string.Join(' ', text.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= MaxDetailChars ? line : string.Concat(line.AsSpan(0, MaxDetailChars), "…");
    }
}
