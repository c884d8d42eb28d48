using System.Diagnostics;
using Polydev.Contracts.Jobs;

namespace Polydev.Client.Executions;

/// <summary>
/// The phases of a run as they happen, each with the time since the run began: a sandbox allocated (warm or cold),
/// the sealed job delivered, the job accepted in the sandbox (the credential placed), the CLI's session started, the
/// first output, the end. Fed by the runner's own steps and the agent's events; what the terminal's status line, the
/// <c>--json</c> phase lines and the summary show.
/// </summary>
internal sealed class RunPhases(TimeProvider time)
{
    public const string Allocated = "allocated";
    public const string Delivered = "delivered";
    public const string Accepted = "accepted";
    public const string CliStarted = "cli_started";
    public const string FirstOutput = "first_output";
    public const string Done = "done";

    private readonly long _started = time.GetTimestamp();
    private readonly List<RunPhase> _reached = [];

    public IReadOnlyList<RunPhase> Reached => _reached;

    /// <summary>Whether the sandbox was warm, once allocated.</summary>
    public bool? Warm { get; private set; }

    public RunPhase? Find(string name) => _reached.Find(p => p.Name == name);

    public RunPhase OnAllocated(bool warm)
    {
        Warm = warm;
        return Reach(Allocated)!;
    }

    public RunPhase OnDelivered() => Reach(Delivered)!;

    /// <summary>The phase <paramref name="e"/> reaches, or null when it reaches none (or one reached before).</summary>
    public RunPhase? OnEvent(AgentEvent e) => e switch
    {
        AcceptedEvent => Reach(Accepted),
        StartEvent => Reach(CliStarted),
        TextEvent { Text.Length: > 0 } or ToolUseEvent => Reach(FirstOutput),
        ExitEvent => Reach(Done),
        _ => null,
    };

    private RunPhase? Reach(string name)
    {
        if (Find(name) is not null)
        {
            return null;
        }

        var phase = new RunPhase(name, (long)time.GetElapsedTime(_started).TotalMilliseconds);
        _reached.Add(phase);
        return phase;
    }
}

/// <summary>A phase and when it was reached, in milliseconds since the run began.</summary>
internal sealed record RunPhase(string Name, long ElapsedMs)
{
    /// <summary>What a person reads for it ("CLI started").</summary>
    public string Words(bool? warm) => Name switch
    {
        RunPhases.Allocated => warm == true ? "warm sandbox" : "cold sandbox started",
        RunPhases.Delivered => "job sealed and sent",
        RunPhases.Accepted => "credential delivered",
        RunPhases.CliStarted => "CLI started",
        RunPhases.FirstOutput => "first output",
        RunPhases.Done => "done",
        _ => Name,
    };
}
