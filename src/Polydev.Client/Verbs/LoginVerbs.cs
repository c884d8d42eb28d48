using System.CommandLine;
using Polydev.Client.Api;
using Polydev.Client.Keys;
using Polydev.Client.Terminal;

namespace Polydev.Client.Verbs;

/// <summary><c>polydev login</c>, <c>unlock</c>, <c>lock</c> and <c>logout</c>: the session life cycle.</summary>
internal static class LoginVerbs
{
    public static Command Login(GlobalOptions globals)
    {
        var email = new Option<string?>("--email") { Description = "Your e-mail address (default: the account signed in last).", HelpName = "EMAIL" };
        var command = new Command("login", "Sign in and unlock; prints the POLYDEV_SESSION line to set. Password from a prompt or POLYDEV_PASSWORD.") { email };
        VerbAction.Set(command, globals, context => LoginAsync(context, context.Parse.GetValue(email)));
        return command;
    }

    public static Command Unlock(GlobalOptions globals)
    {
        var command = new Command("unlock", "Unlock the vault with your password; prints a new POLYDEV_SESSION line to set.");
        VerbAction.Set(command, globals, UnlockAsync);
        return command;
    }

    public static Command Lock(GlobalOptions globals)
    {
        var command = new Command("lock", "Forget the cached keys; POLYDEV_SESSION stops working until `polydev unlock`.");
        VerbAction.Set(command, globals, context => Task.FromResult(Lock(context)));
        return command;
    }

    public static Command Logout(GlobalOptions globals)
    {
        var command = new Command("logout", "Revoke this machine's session on the server and delete the local state.");
        VerbAction.Set(command, globals, LogoutAsync);
        return command;
    }

    private static async Task<int> LoginAsync(VerbContext context, string? emailOption)
    {
        var email = emailOption is { Length: > 0 } ? emailOption : context.State?.Email
            ?? throw new UsageException("say which account: --email you@example.com.");
        var server = context.SignInServer;
        using var api = context.AnonymousApi(server);

        var prelogin = await api.PreloginAsync(email, context.Cancellation);
        var parameters = Session.AcceptableParameters(prelogin.Kdf);
        var password = Secrets.Password();
        using var passwordKeys = await PasswordKeys.DeriveAsync(password, parameters);

        var (login, state) = await Session.LoginAsync(context, api, server, email, passwordKeys.AuthKey);
        context.SaveState(state);

        using var keys = KeyWrapping.Unlock(login.Account, passwordKeys.Kek);
        if (login.Account.KeyRotationRequired)
        {
            return await FinishRecoveryAsync(context, state, keys, passwordKeys);
        }

        var session = Session.Start(context, state, keys);
        return Session.ReportSignedIn(context, state, session, $"Signed in to {server} as {state.Email}.");
    }

    private static async Task<int> UnlockAsync(VerbContext context)
    {
        using var api = context.SignedInApi(out var state);
        var (account, passwordKeys, keys) = await Session.UnlockByPasswordAsync(context, api);
        using var disposePassword = passwordKeys;
        using var disposeKeys = keys;
        if (account.KeyRotationRequired)
        {
            return await FinishRecoveryAsync(context, state, keys, passwordKeys);
        }

        var session = Session.Start(context, state, keys);
        context.Output.Result(new { session });
        Session.PrintExport(context, session);
        return ExitCodes.Success;
    }

    /// <summary>
    /// A reset with the recovery code left the keys to be rotated (the rotation right after it did not finish): the
    /// server takes no vault writes until they are, so signing in does it first.
    /// </summary>
    private static async Task<int> FinishRecoveryAsync(VerbContext context, State.LocalState state, VaultKeys keys, PasswordKeys passwordKeys)
    {
        Output.Note("Your password was reset with the recovery code; your keys are rotated now, before anything else.");
        using var api = context.SignedInApi(out _);
        var rotated = await KeyRotationVerb.RunAsync(context, api, keys, passwordKeys.AuthKey, passwordKeys.Kek, newPassword: null);
        using var next = rotated.Keys;
        return KeyRotationVerb.Report(context, state, rotated, $"Signed in as {state.Email}; keys rotated");
    }

    private static int Lock(VerbContext context)
    {
        var state = context.RequireState();
        if (state.KeyCache is not null)
        {
            context.SaveState(state with { KeyCache = null });
        }

        context.Output.Result(new { locked = true });
        context.Output.Line("Locked: the cached keys are deleted. Run `polydev unlock` to use the vault again.");
        return ExitCodes.Success;
    }

    private static async Task<int> LogoutAsync(VerbContext context)
    {
        if (context.State is null)
        {
            context.Output.Result(new { signedOut = true });
            context.Output.Line("You are not signed in on this machine.");
            return ExitCodes.Success;
        }

        using var api = context.SignedInApi(out var state);
        CliException? revokeFailure = null;
        try
        {
            await api.LogoutAsync(context.Cancellation);
        }
        catch (ApiException e) when (e.Status == System.Net.HttpStatusCode.Unauthorized)
        {
            // Already revoked or expired: the server holds nothing more to revoke.
        }
        catch (CliException e)
        {
            revokeFailure = e;
        }

        // The local state goes either way: the user asked to sign out of this machine.
        context.DeleteState();
        if (revokeFailure is not null)
        {
            throw new CliException($"signed out on this machine, but the session could not be revoked on the server: {revokeFailure.Message}");
        }

        context.Output.Result(new { signedOut = true, server = state.Server });
        context.Output.Line($"Signed out of {state.Server}.");
        return ExitCodes.Success;
    }
}
