namespace Polydev.Agent;

/// <summary>
/// What a job says to its CLI on stdin and how it reads the CLI's stdout: a prompt written once (a CLI started by the
/// job, or Claude Code started ahead), or a conversation in which what the CLI answers decides what is written next
/// (Gemini CLI's Agent Client Protocol). Stdin closes when <see cref="FeedAsync"/> returns, which ends the CLI's turn.
/// </summary>
internal interface ICliDialogue
{
    /// <summary>Turns the CLI's stdout (and stderr) lines into events.</summary>
    IEventMapper Mapper { get; }

    /// <summary>True when the CLI reported its turn failed without an exit status saying so (ACP: an error answer, exit 0).</summary>
    bool TurnFailed => false;

    /// <summary>Writes to the CLI's stdin until the dialogue is over or <paramref name="cancellationToken"/> fires (the CLI is gone).</summary>
    Task FeedAsync(Stream stdin, CancellationToken cancellationToken);
}

/// <summary>Bytes written once, then stdin closes: the prompt of a CLI started by the job, the lines Claude Code started ahead reads.</summary>
internal sealed class StdinDialogue(IEventMapper mapper, byte[] input) : ICliDialogue
{
    public IEventMapper Mapper => mapper;

    public async Task FeedAsync(Stream stdin, CancellationToken cancellationToken) => await stdin.WriteAsync(input, cancellationToken);
}
