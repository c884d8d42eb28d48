using System.Globalization;

namespace Polydev.Server.Egress.Proxy;

/// <summary>
/// Checks each request's <c>Proxy-Authorization</c>: an egress token of the port's own user.
/// The first success on a connection counts it toward the user's cap on open connections.
/// </summary>
internal static class ProxyAuthentication
{
    public static async Task AuthenticateAsync(ProxyConnection connection, RequestHead head, CancellationToken token)
    {
        var context = connection.Context;
        var count = head.Headers.CountOf("Proxy-Authorization");
        if (count == 0)
        {
            throw new ProxyRefusal(407, "proxy authentication required: send Proxy-Authorization with this port's egress token (Basic with the token as password, or Bearer)", EgressMetrics.RefusalReasons.Auth, keepAlive: true);
        }

        var presented = count == 1 ? ProxyCredentials.Token(head.Headers.Get("Proxy-Authorization")!) : null;
        if (presented is null)
        {
            throw new ProxyRefusal(407, "Proxy-Authorization must be Basic (the egress token as password) or Bearer with the egress token", EgressMetrics.RefusalReasons.Auth, keepAlive: true);
        }

        EgressPrincipal? principal;
        try
        {
            principal = await context.Authenticator.AuthenticateAsync(presented, token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
        {
            ProxyLog.AuthenticatorFailed(context.Logger, e, connection.Port.Port);
            throw new ProxyRefusal(503, "the egress token could not be checked; try again", EgressMetrics.RefusalReasons.Error);
        }

        if (principal is null)
        {
            throw new ProxyRefusal(407, "the egress token is unknown, expired or revoked", EgressMetrics.RefusalReasons.Auth, keepAlive: true);
        }

        if (principal.UserId != connection.Port.User.UserId)
        {
            throw new ProxyRefusal(407, "the egress token is not for this port", EgressMetrics.RefusalReasons.Auth, keepAlive: true);
        }

        if (principal.BoundAddress is { } bound && !bound.Equals(connection.ClientAddress))
        {
            throw new ProxyRefusal(407, $"the egress token works only from its sandbox's address {bound}", EgressMetrics.RefusalReasons.Auth, keepAlive: true);
        }

        if (!connection.Admitted)
        {
            if (!context.Connections.TryAdmit(connection))
            {
                var max = context.Options.MaxTunnelsPerUser.ToString(CultureInfo.InvariantCulture);
                throw new ProxyRefusal(429, $"this port already has {max} open connections (Egress:MaxTunnelsPerUser); close some and retry", EgressMetrics.RefusalReasons.Limit);
            }

            connection.Admitted = true;
        }
    }
}
