using System.CommandLine;
using Polydev.Client.Keys;
using Polydev.Client.Terminal;
using Polydev.Contracts.Accounts;
using Polydev.Crypto;

namespace Polydev.Client.Verbs;

/// <summary>
/// <c>polydev password change</c>: a new salt and KDF run, and the same user key re-wrapped under the new KEK. No
/// data is re-encrypted, so the key cache and POLYDEV_SESSION stay valid.
/// </summary>
internal static class PasswordVerb
{
    public static Command Create(GlobalOptions globals)
    {
        var change = new Command("change", "Change your password (prompts, or POLYDEV_PASSWORD and POLYDEV_NEW_PASSWORD). Other devices are signed out.");
        VerbAction.Set(change, globals, ChangeAsync);
        return new Command("password", "Manage your password.") { change };
    }

    private static async Task<int> ChangeAsync(VerbContext context)
    {
        using var api = context.SignedInApi(out var state);
        var account = await api.GetAccountAsync(context.Cancellation);
        var parameters = Session.AcceptableParameters(account.Kdf);
        var current = Secrets.Password("Current password: ");
        var next = Secrets.NewPassword(Secrets.NewPasswordVariable);

        using var currentKeys = await PasswordKeys.DeriveAsync(current, parameters);
        using var keys = KeyWrapping.Unlock(account, currentKeys.Kek);
        using var nextKeys = await PasswordKeys.DeriveAsync(next, KdfParameters.CreateDefault());

        await api.ChangePasswordAsync(
            new ChangePasswordRequest(currentKeys.AuthKey, nextKeys.Kdf, nextKeys.AuthKey, KeyWrapping.WrapUserKey(nextKeys.Kek, keys.UserKey, keys.UserId)),
            context.Cancellation);

        context.Output.Result(new { changed = true, email = state.Email });
        context.Output.Line("Password changed. Your data was not re-encrypted. Other devices are signed out; this one stays signed in and unlocked.");
        return ExitCodes.Success;
    }
}
