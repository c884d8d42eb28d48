namespace Polydev.Agent.Protocol;

/// <summary>What went wrong on the channel.</summary>
public enum AgentProtocolFailure
{
    /// <summary>The other side speaks another protocol version.</summary>
    VersionMismatch,

    /// <summary>A frame's header or payload is not what the protocol allows.</summary>
    Malformed,

    /// <summary>The stream ended inside a frame.</summary>
    Truncated,

    /// <summary>A well-formed frame arrived where the protocol does not allow it.</summary>
    Unexpected,
}

/// <summary>The other side broke the protocol. Messages name versions, types and lengths, never payload content.</summary>
public sealed class AgentProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AgentProtocolException(AgentProtocolFailure failure, string message)
        : base(message) => Failure = failure;

    /// <summary>A version mismatch, its message naming both versions.</summary>
    public static AgentProtocolException VersionMismatch(byte theirs, string them) =>
        new(AgentProtocolFailure.VersionMismatch,
            $"Agent protocol version mismatch: the {them} speaks version {AgentProtocol.DescribeVersion(theirs)}, this side speaks version {AgentProtocol.Version}.")
        {
            TheirVersion = theirs,
        };

    /// <summary>What went wrong.</summary>
    public AgentProtocolFailure Failure { get; }

    /// <summary>For <see cref="AgentProtocolFailure.VersionMismatch"/>: the other side's version byte.</summary>
    public byte? TheirVersion { get; private init; }
}
