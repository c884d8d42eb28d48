using System.CommandLine;
using System.Security.Cryptography;
using Polydev.Client.Keys;
using Polydev.Client.Terminal;
using Polydev.Contracts.Accounts;
using Polydev.Crypto;

namespace Polydev.Client.Verbs;

/// <summary><c>polydev account delete</c>, <c>recover</c> and <c>rotate-keys</c>.</summary>
internal static class AccountVerbs
{
    public static Command Create(GlobalOptions globals)
    {
        var yes = new Option<bool>("--yes") { Description = "Do not ask to type the e-mail address to confirm." };
        var delete = new Command("delete", "Delete your account and all its data on the server, for good. Needs the password.") { yes };
        VerbAction.Set(delete, globals, context => DeleteAsync(context, context.Parse.GetValue(yes)));

        var email = new Option<string?>("--email") { Description = "The account's e-mail address (default: the account signed in last).", HelpName = "EMAIL" };
        var recover = new Command("recover", "Set a new password with your recovery code (from a hidden prompt or stdin; new password from a prompt or POLYDEV_NEW_PASSWORD).") { email };
        VerbAction.Set(recover, globals, context => RecoverAsync(context, context.Parse.GetValue(email)));

        return new Command("account", "Manage your account.") { delete, recover, KeyRotationVerb.Create(globals) };
    }

    private static async Task<int> DeleteAsync(VerbContext context, bool confirmed)
    {
        using var api = context.SignedInApi(out var state);
        if (!confirmed)
        {
            if (!Prompt.CanAsk)
            {
                throw new UsageException("no terminal to confirm on; pass --yes to delete the account.");
            }

            Output.Note($"This deletes the account {state.Email} and every chat and credential in it, for good.");
            var typed = Prompt.ReadLine("Type your e-mail address to confirm: ").Trim();
            if (!string.Equals(typed, state.Email, StringComparison.OrdinalIgnoreCase))
            {
                throw new CliException("the e-mail address does not match; nothing was deleted.");
            }
        }

        var account = await api.GetAccountAsync(context.Cancellation);
        var parameters = Session.AcceptableParameters(account.Kdf);
        var password = Secrets.Password();
        using var passwordKeys = await PasswordKeys.DeriveAsync(password, parameters);
        await api.DeleteAccountAsync(new DeleteAccountRequest(passwordKeys.AuthKey), context.Cancellation);
        context.DeleteState();

        context.Output.Result(new { deleted = true, email = state.Email });
        context.Output.Line($"Deleted the account {state.Email} and all its data on {state.Server}.");
        return ExitCodes.Success;
    }

    private static async Task<int> RecoverAsync(VerbContext context, string? emailOption)
    {
        var email = emailOption is { Length: > 0 } ? emailOption : context.State?.Email
            ?? throw new UsageException("say which account: --email you@example.com.");
        var server = context.SignInServer;
        var code = ReadRecoveryCode();
        var password = Secrets.NewPassword(Secrets.NewPasswordVariable);

        using var api = context.AnonymousApi(server);
        var recoveryAuthKey = code.DeriveAuthKey();
        var verified = await api.RecoveryVerifyAsync(new RecoveryVerifyRequest(email, recoveryAuthKey), context.Cancellation);
        var userKey = OpenWithRecoveryCode(code, verified);
        try
        {
            using var passwordKeys = await PasswordKeys.DeriveAsync(password, KdfParameters.CreateDefault());
            await api.RecoveryResetAsync(
                new RecoveryResetRequest(email, recoveryAuthKey, passwordKeys.Kdf, passwordKeys.AuthKey, KeyWrapping.WrapUserKey(passwordKeys.Kek, userKey, verified.UserId)),
                context.Cancellation);

            // The code just used is spent, and whoever held it could open the user key: the keys are rotated right away,
            // which makes the new recovery code (issue 13, finding 14). Should this fail, the next sign-in rotates.
            var (login, state) = await Session.LoginAsync(context, api, server, email, passwordKeys.AuthKey);
            context.SaveState(state);
            using var keys = KeyWrapping.WithPrivateKey(login.Account, (byte[])userKey.Clone());
            using var signedIn = context.SignedInApi(out _);
            var rotated = await KeyRotationVerb.RunAsync(context, signedIn, keys, passwordKeys.AuthKey, passwordKeys.Kek, newPassword: null);
            using var next = rotated.Keys;
            return KeyRotationVerb.Report(context, state, rotated, $"New password set for {state.Email}; keys rotated");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(userKey);
        }
    }

    private static RecoveryCode ReadRecoveryCode()
    {
        var text = Prompt.CanAsk ? Prompt.ReadHidden("Recovery code: ") : Prompt.ReadAllStdin();
        try
        {
            return RecoveryCode.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException(Prompt.CanAsk ? e.Message : $"{e.Message} Pipe the code in on stdin or run in a terminal.");
        }
    }

    private static byte[] OpenWithRecoveryCode(RecoveryCode code, RecoveryVerifyResponse verified)
    {
        var wrappingKey = code.DeriveWrappingKey();
        try
        {
            var context = new EnvelopeContext(EnvelopeKinds.UserRecoveryKey, verified.UserId, verified.UserId);
            return Envelope.Open(wrappingKey, verified.RecoveryUserKey.Envelope, context);
        }
        catch (CryptographicException)
        {
            throw new CliException("the recovery code does not open your key, although the server accepted it; nothing was changed.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrappingKey);
        }
    }
}
