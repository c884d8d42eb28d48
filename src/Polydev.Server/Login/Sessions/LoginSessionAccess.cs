using Microsoft.Extensions.Options;
using Polydev.Server.Egress;
using Polydev.Server.Executions;
using Polydev.Server.Login.Turn;
using Polydev.Server.Pools;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Login.Sessions;

/// <summary>
/// A login session's ways out of its sandbox: the TURN servers its stream relays through, and the user's egress port
/// with a proxy token for this session alone (the remote browser and the CLI's login reach the provider only through
/// it, like an execution's CLI). The token is revoked when the session ends.
/// </summary>
public sealed class LoginSessionAccess(TurnCredentials turn, ISandboxNetworkSetup network, EgressAccess egress, IOptions<LoginSessionsOptions> options)
{
    /// <summary>The session's TURN servers (the viewer's and the sandbox's view); null when this server has no TURN.</summary>
    public TurnSessionServers? IssueTurn(Guid userId) => turn.Issue(userId.ToString("D"), network.EgressAddress);

    /// <summary>A proxy token for the session's sandbox, valid no longer than the session can live.</summary>
    /// <exception cref="LoginSessionRefusedException">The user's egress port cannot be had.</exception>
    public async Task<(string TokenId, string ProxyUrl)> GrantEgressAsync(Guid userId, WarmSandbox sandbox, CancellationToken cancellationToken)
    {
        UserProxyPort port;
        try
        {
            port = await egress.EnsurePortAsync(userId, cancellationToken);
        }
        catch (EgressPortUnavailableException e)
        {
            throw new LoginSessionRefusedException(503, $"No egress port can be had for the login browser: {e.Message}", e);
        }

        var lifetime = options.Value.OpenWindow + options.Value.TimeLimit + TimeSpan.FromMinutes(1);
        return await egress.GrantAsync(userId, port, lifetime, sandbox.Handle.Address, cancellationToken);
    }

    public Task RevokeEgressAsync(Guid userId, string? tokenId) => egress.RevokeAsync(userId, tokenId);
}
