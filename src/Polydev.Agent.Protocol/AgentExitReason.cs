namespace Polydev.Agent.Protocol;

/// <summary>
/// Why the agent ended, in its <see cref="AgentFrameType.Exit"/> frame; the agent process exits with the same number.
/// How the CLI itself ended (ok, timeout, cli_error, …) is not here: it travels only inside the encrypted output
/// stream, which the server cannot read.
/// </summary>
public enum AgentExitReason : byte
{
    /// <summary>The job ran and its output stream ended with its final chunk.</summary>
    Ok = 0,

    /// <summary>The agent failed in a way it did not expect; stderr names the exception type.</summary>
    InternalError = 1,

    /// <summary>The agent was started with arguments it does not understand.</summary>
    Usage = 2,

    /// <summary>The agent has no key for the job: its one job already ran, or its key could not be made.</summary>
    NoKey = 3,

    /// <summary>The job could not be opened (sealed to another key or purpose, modified) or is not a valid job.</summary>
    JobRefused = 4,

    /// <summary>The server sent <see cref="AgentFrameType.Cancel"/>: the CLI was killed and the output stream ended early.</summary>
    Cancelled = 5,

    /// <summary>The server spoke another protocol version or sent a malformed or unexpected frame.</summary>
    ProtocolError = 6,

    /// <summary>The server closed the channel (end of stdin) before sending a job.</summary>
    Abandoned = 7,

    /// <summary>A login session reached its time limit.</summary>
    TimeLimit = 8,

    /// <summary>A login session's viewer sent no input for the idle limit.</summary>
    Idle = 9,

    /// <summary>
    /// A login session's channel failed authentication: a message was modified, dropped, replayed or made under another
    /// key (a relay tampering with the signalling). The session is refused at once.
    /// </summary>
    ChannelRefused = 10,

    /// <summary>The login session's screen or stream failed (the display, the browser or the media pipeline).</summary>
    StreamFailed = 11,

    /// <summary>A login session connecting an account: the CLI's login wrote its credential, which was sent sealed (<see cref="AgentFrameType.Credential"/>).</summary>
    Connected = 12,

    /// <summary>A login session connecting an account: the CLI wrote a credential file of the wrong shape; nothing was sent.</summary>
    CredentialRefused = 13,

    /// <summary>A login session connecting an account: the CLI's login command ended without writing a credential.</summary>
    LoginFailed = 14,
}
