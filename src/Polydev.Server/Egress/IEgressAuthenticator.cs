namespace Polydev.Server.Egress;

/// <summary>
/// Turns the token a client put in <c>Proxy-Authorization</c> into the user it was issued to.
/// The proxy then checks that this user owns the port the request came in on.
/// </summary>
public interface IEgressAuthenticator
{
    /// <returns>The token's owner, or null when the token is unknown, expired or revoked.</returns>
    ValueTask<EgressPrincipal?> AuthenticateAsync(string token, CancellationToken cancellationToken);
}

/// <param name="UserId">Whose egress port the token opens.</param>
/// <param name="TokenId">Which token it was (later: which execution).</param>
public sealed record EgressPrincipal(Guid UserId, Guid TokenId);

/// <summary>Bytes one user moved through their port, and their open connections.</summary>
/// <param name="BytesUp">Client to destination.</param>
/// <param name="BytesDown">Destination to client.</param>
public readonly record struct EgressUsage(long BytesUp, long BytesDown, int ActiveTunnels);
