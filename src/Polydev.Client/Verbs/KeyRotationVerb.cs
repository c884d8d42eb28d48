using System.CommandLine;
using Polydev.Client.Api;
using Polydev.Client.Keys;
using Polydev.Client.Terminal;
using Polydev.Contracts.Accounts;

namespace Polydev.Client.Verbs;

/// <summary>
/// <c>polydev account rotate-keys</c>, and the rotation step the other verbs share: a password change offers it, and
/// signing in after a reset with the recovery code runs it before anything else (the server takes no vault writes
/// until then).
/// </summary>
internal static class KeyRotationVerb
{
    public static Command Create(GlobalOptions globals)
    {
        var command = new Command(
            "rotate-keys",
            "Make a new vault key, key pair and recovery code, and re-encrypt every chat and credential under the new key. Other devices are signed out; prints a new POLYDEV_SESSION line.");
        VerbAction.Set(command, globals, RotateAsync);
        return command;
    }

    private static async Task<int> RotateAsync(VerbContext context)
    {
        using var api = context.SignedInApi(out var state);
        var (_, passwordKeys, keys) = await Session.UnlockByPasswordAsync(context, api);
        using var disposePassword = passwordKeys;
        using var disposeKeys = keys;
        var rotated = await RunAsync(context, api, keys, passwordKeys.AuthKey, passwordKeys.Kek, newPassword: null);
        using var next = rotated.Keys;
        return Report(context, state, rotated, "Keys rotated");
    }

    /// <summary>
    /// Rotates the keys and shows the new recovery code once (on stderr; in --json mode the caller puts it in its
    /// result). The caller owns the new keys.
    /// </summary>
    public static async Task<KeyRotation.Rotated> RunAsync(
        VerbContext context, PolydevApi api, VaultKeys current, byte[] currentAuthKey, byte[] kek, NewPasswordDto? newPassword)
    {
        Output.Note("Re-encrypting your vault under a new key...");
        var rotated = await KeyRotation.RotateAsync(api, current, currentAuthKey, kek, newPassword, context.Cancellation);
        if (!context.Output.Json)
        {
            SignupVerb.ShowRecoveryCode(rotated.RecoveryCode);
        }

        return rotated;
    }

    /// <summary>The end of a verb that rotated: the new session cached and reported, with what changed.</summary>
    public static int Report(VerbContext context, State.LocalState state, KeyRotation.Rotated rotated, string what)
    {
        var session = Session.Start(context, state, rotated.Keys);
        context.Output.Result(new { rotated = true, records = rotated.Records, recoveryCode = rotated.RecoveryCode.ToString(), email = state.Email, session });
        if (!context.Output.Json)
        {
            Output.Note(
                $"{what}: {rotated.Records} record{(rotated.Records == 1 ? "" : "s")} re-encrypted under a new key. Other devices are signed out; "
                + "the old recovery code no longer works, keep the new one above safe.");
        }

        Session.PrintExport(context, session);
        return ExitCodes.Success;
    }
}
