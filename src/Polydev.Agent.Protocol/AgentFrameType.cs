namespace Polydev.Agent.Protocol;

/// <summary>The second byte of a frame: what its payload is.</summary>
public enum AgentFrameType : byte
{
    /// <summary>Agent → server, first frame: the handshake (<see cref="AgentHello"/>).</summary>
    Hello = 0x01,

    /// <summary>Server → agent, at most once: the sealed job, opaque to the server.</summary>
    Job = 0x02,

    /// <summary>Agent → server, empty: the agent is alive. Sent every heartbeat interval from the hello to the exit.</summary>
    Heartbeat = 0x03,

    /// <summary>Server → agent, empty: stop the job (kill the CLI), end the output stream, exit with <see cref="AgentExitReason.Cancelled"/>.</summary>
    Cancel = 0x04,

    /// <summary>Agent → server: exactly one output-stream frame (docs/crypto.md, "Output stream"), byte for byte, without its length prefix.</summary>
    Output = 0x05,

    /// <summary>Agent → server, last frame: why the agent ends (<see cref="AgentExit"/>).</summary>
    Exit = 0x06,

    /// <summary>
    /// Both ways, login sessions only: one encrypted session message between the viewer and the login agent
    /// (<c>Polydev.Crypto.SessionChannel</c>), an output-stream frame without its length prefix, opaque to the server,
    /// which relays it to and from the viewer's WebSocket.
    /// </summary>
    Signal = 0x07,

    /// <summary>
    /// Agent → server, at most once, login sessions that connect an account only: the credential the provider's CLI wrote,
    /// sealed to the user's account public key and bound to the opening's proof key (<c>Polydev.Crypto.CredentialCapture</c>),
    /// opaque to the server, which keeps it for the user's client to fetch. The agent's exit frame follows.
    /// </summary>
    Credential = 0x08,
}
