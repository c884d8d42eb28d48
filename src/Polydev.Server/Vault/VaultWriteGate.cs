using Polydev.Server.Accounts;

namespace Polydev.Server.Vault;

/// <summary>
/// After a reset with the recovery code, whoever held the code could open the user key: the vault takes no new
/// envelopes under it until the owner's client has rotated the keys (issue 13, finding 14). Reads stay open, since the
/// rotation needs them. The flag comes with the caller's session (<see cref="PolydevClaims.IsKeyRotationRequired"/>), so
/// the gate costs no query of its own.
/// </summary>
internal sealed class VaultWriteGate : IEndpointFilter
{
    public const string Detail =
        "Your account's keys must be rotated after the reset with the recovery code before the vault takes changes. Sign in again (polydev login or the web app): it rotates them.";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        return !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && http.User.IsKeyRotationRequired()
            ? ValueTask.FromResult<object?>(Problems.Conflict(Detail))
            : next(context);
    }
}
