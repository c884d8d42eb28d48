using Polydev.Contracts.Jobs;

namespace Polydev.Client.Executions;

/// <summary>What a run's events add up to: the answer, the model, the usage and cost, the last error and how the CLI exited.</summary>
internal sealed class RunTranscript
{
    private readonly System.Text.StringBuilder _answer = new();

    /// <summary>The <see cref="TextEvent"/>s concatenated.</summary>
    public string Answer => _answer.ToString();

    /// <summary>The usage of the last <see cref="ResultEvent"/> that reported one.</summary>
    public EventUsage? Usage { get; private set; }

    /// <summary>The model the CLI said it uses (its <see cref="StartEvent"/>); null when it did not say.</summary>
    public string? Model { get; private set; }

    /// <summary>What the turn cost in US dollars, where the CLI reports it (Claude Code does).</summary>
    public double? CostUsd { get; private set; }

    /// <summary>The message of the last <see cref="ErrorEvent"/>.</summary>
    public string? LastError { get; private set; }

    /// <summary>The <see cref="ExitEvent"/>'s reason (<see cref="ExitReasons"/>); null until it arrived.</summary>
    public string? ExitReason { get; private set; }

    public int? ExitCode { get; private set; }

    /// <summary>Where the job's time went inside the sandbox, as the agent measured it (an older agent sends none).</summary>
    public JobTimings? Timings { get; private set; }

    /// <summary>Why the job did not succeed, as the agent classified it (an older agent sends none).</summary>
    public JobFailure? Failure { get; private set; }

    public void Add(AgentEvent e)
    {
        switch (e)
        {
            case TextEvent text:
                _answer.Append(text.Text);
                break;
            case ErrorEvent error:
                LastError = error.Message;
                break;
            case StartEvent { Model: { Length: > 0 } model }:
                Model = model;
                break;
            case ResultEvent result:
                Usage = result.Usage ?? Usage;
                CostUsd = result.CostUsd ?? CostUsd;
                break;
            case ExitEvent exit:
                ExitReason = exit.Reason is { Length: > 0 } reason ? reason : "unknown";
                ExitCode = exit.ExitCode;
                Failure = exit.Failure;
                Timings = exit.Timings;
                break;
        }
    }
}
