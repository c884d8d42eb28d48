using Polydev.Server.Accounts;

namespace Polydev.Server.Vault;

/// <summary>
/// After a reset with the recovery code, whoever held the code could open the user key: the vault takes no new
/// envelopes under it until the owner's client has rotated the keys (issue 13, finding 14). Reads stay open, since the
/// rotation needs them.
/// </summary>
internal sealed class VaultWriteGate(AccountStore accounts) : IEndpointFilter
{
    public const string Detail =
        "Your account's keys must be rotated after the reset with the recovery code before the vault takes changes. Sign in again (polydev login or the web app): it rotates them.";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)
            && await accounts.IsKeyRotationRequiredAsync(http.User.UserId(), http.RequestAborted))
        {
            return Problems.Conflict(Detail);
        }

        return await next(context);
    }
}
