using System.CommandLine;
using Polydev.Client.Keys;
using Polydev.Client.Terminal;
using Polydev.Contracts.Accounts;
using Polydev.Crypto;

namespace Polydev.Client.Verbs;

/// <summary>
/// <c>polydev password change</c>: a new salt and KDF run, and the same user key re-wrapped under the new KEK, so the
/// key cache and POLYDEV_SESSION stay valid. With <c>--rotate-keys</c> (offered at a terminal) the keys are rotated in
/// the same step instead: the vault is re-encrypted under a new key, and a new session line is printed.
/// </summary>
internal static class PasswordVerb
{
    public static Command Create(GlobalOptions globals)
    {
        var rotate = new Option<bool>("--rotate-keys") { Description = "Also make a new vault key and re-encrypt everything under it (asked at a terminal)." };
        var change = new Command("change", "Change your password (prompts, or POLYDEV_PASSWORD and POLYDEV_NEW_PASSWORD). Other devices are signed out.") { rotate };
        VerbAction.Set(change, globals, context => ChangeAsync(context, context.Parse.GetValue(rotate)));
        return new Command("password", "Manage your password.") { change };
    }

    private static async Task<int> ChangeAsync(VerbContext context, bool rotate)
    {
        using var api = context.SignedInApi(out var state);
        var account = await api.GetAccountAsync(context.Cancellation);
        var parameters = Session.AcceptableParameters(account.Kdf);
        var current = Secrets.Password("Current password: ");
        var next = Secrets.NewPassword(Secrets.NewPasswordVariable);

        using var currentKeys = await PasswordKeys.DeriveAsync(current, parameters);
        using var keys = KeyWrapping.Unlock(account, currentKeys.Kek);
        using var nextKeys = await PasswordKeys.DeriveAsync(next, KdfParameters.CreateDefault());
        if (rotate || (Prompt.CanAsk && !context.Output.Json && AskToRotate()))
        {
            var rotated = await KeyRotationVerb.RunAsync(context, api, keys, currentKeys.AuthKey, nextKeys.Kek, new NewPasswordDto(nextKeys.Kdf, nextKeys.AuthKey));
            using var rotatedKeys = rotated.Keys;
            return KeyRotationVerb.Report(context, state, rotated, "Password changed and keys rotated");
        }

        await api.ChangePasswordAsync(
            new ChangePasswordRequest(currentKeys.AuthKey, nextKeys.Kdf, nextKeys.AuthKey, KeyWrapping.WrapUserKey(nextKeys.Kek, keys.UserKey, keys.UserId)),
            context.Cancellation);

        context.Output.Result(new { changed = true, email = state.Email });
        context.Output.Line("Password changed. Your data was not re-encrypted. Other devices are signed out; this one stays signed in and unlocked.");
        return ExitCodes.Success;
    }

    private static bool AskToRotate()
    {
        Output.Note("If you think your password or a device was exposed, also rotate your keys: everything is re-encrypted under a new key, and you get a new recovery code.");
        var answer = Prompt.ReadLine("Rotate your keys too? [y/N] ").Trim();
        return answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase);
    }
}
