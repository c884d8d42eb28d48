using System.CommandLine;
using System.Security.Cryptography;
using Polydev.Client.Keys;
using Polydev.Client.Terminal;
using Polydev.Contracts.Accounts;
using Polydev.Crypto;

namespace Polydev.Client.Verbs;

/// <summary>
/// <c>polydev signup --email E</c>: makes every key on this machine, sends the server only the auth key and wrapped
/// keys, shows the recovery code once, and signs in.
/// </summary>
internal static class SignupVerb
{
    public static Command Create(GlobalOptions globals)
    {
        var email = new Option<string>("--email") { Description = "Your e-mail address (your account name).", Required = true, HelpName = "EMAIL" };
        var command = new Command("signup", "Create an account. The password comes from a hidden prompt or POLYDEV_PASSWORD.") { email };
        VerbAction.Set(command, globals, context => RunAsync(context, context.Parse.GetRequiredValue(email)));
        return command;
    }

    private static async Task<int> RunAsync(VerbContext context, string email)
    {
        var server = context.SignInServer;
        // The parameters pre-login gives for this e-mail while it has no account (the server's stable decoy): signing up
        // with them makes pre-login answer the same after as before, so it cannot tell who has an account (issue 13,
        // finding 15f). They pass the same downgrade rule as any server-given parameters, before a password is asked for.
        using var api = context.AnonymousApi(server);
        var parameters = Session.AcceptableParameters((await api.PreloginAsync(email, context.Cancellation)).Kdf);

        Output.Note("Polydev never sees your password and cannot reset it. Without your password or your recovery code, your data is gone for good.");
        var password = Secrets.NewPassword(Secrets.PasswordVariable, "Choose a password: ");

        var userId = Guid.CreateVersion7();
        using var passwordKeys = await PasswordKeys.DeriveAsync(password, parameters);
        var userKey = UserKey.Generate();
        using var keyPair = UserKeyPair.Generate();
        var recoveryCode = RecoveryCode.Generate();
        using var vaultKeys = new VaultKeys(userId, userKey, keyPair.ExportPkcs8());

        var recoveryWrappingKey = recoveryCode.DeriveWrappingKey();
        SignupRequest request;
        try
        {
            request = new SignupRequest(
                userId,
                email,
                passwordKeys.Kdf,
                passwordKeys.AuthKey,
                KeyWrapping.WrapUserKey(passwordKeys.Kek, userKey, userId),
                keyPair.PublicKey,
                KeyWrapping.WrapPrivateKey(userKey, vaultKeys.PrivateKey, userId),
                new RecoveryDto(recoveryCode.DeriveAuthKey(), KeyWrapping.WrapForRecovery(recoveryWrappingKey, userKey, userId)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(recoveryWrappingKey);
        }

        var created = await api.SignupAsync(request, context.Cancellation);
        if (!context.Output.Json)
        {
            ShowRecoveryCode(recoveryCode);
        }

        string session;
        try
        {
            // The keys are already in hand, so signing in needs no second PBKDF2 run and no pre-login.
            var (_, state) = await Session.LoginAsync(context, api, server, created.Email, passwordKeys.AuthKey);
            session = Session.Start(context, state, vaultKeys);
        }
        catch (CliException) when (context.Output.Json)
        {
            // The account exists now: its recovery code must reach the user even though signing in failed.
            context.Output.Result(new { userId, email = created.Email, recoveryCode = recoveryCode.ToString(), session = (string?)null });
            throw;
        }

        context.Output.Result(new { userId, email = created.Email, recoveryCode = recoveryCode.ToString(), session });
        if (context.Output.Json)
        {
            Output.Note("The recoveryCode in this output will not be shown again: store it somewhere safe.");
        }
        else
        {
            Output.Note($"Created the account {created.Email} on {server} and signed in.");
            Session.PrintExport(context, session);
        }

        return ExitCodes.Success;
    }

    internal static void ShowRecoveryCode(RecoveryCode code)
    {
        Output.Note("");
        Output.Note("Your recovery code. It will not be shown again:");
        Output.Note("");
        Output.Note($"    {code}");
        Output.Note("");
        Output.Note("Write it down and keep it apart from your password. With it you can set a new password");
        Output.Note("(polydev account recover); without it and without your password, your data is gone for good.");
        Output.Note("");
    }
}
