using System.CommandLine;
using System.Security.Cryptography;
using Polydev.Client.Api;
using Polydev.Client.LoginSessions;
using Polydev.Client.Terminal;
using Polydev.Client.Vault;
using Polydev.Contracts;
using Polydev.Contracts.Login;

namespace Polydev.Client.Verbs;

/// <summary>
/// <c>polydev credentials login PROVIDER</c>: connects a provider account by the CLI's own sign-in, run in a login
/// sandbox and shown in the web viewer. This terminal names the key the credential is sealed to (its own unlocked
/// account key) and the proof key that shows the capture came from that sandbox, waits for the session to end, and
/// stores the credential in the vault. The server relays and keeps only ciphertext (docs/login-sessions.md).
/// </summary>
internal static class CredentialLoginVerb
{
    public static Command Create(GlobalOptions globals)
    {
        var provider = new Argument<string>("PROVIDER") { Description = $"One of: {string.Join(", ", Providers.All)}." };
        provider.AcceptOnlyFromAmong([.. Providers.All]);
        var label = new Option<string?>("--label") { Description = "A name to tell this credential apart (default: the account's e-mail).", HelpName = "LABEL" };
        var noBrowser = new Option<bool>("--no-browser") { Description = "Print the viewer's link instead of opening it in your browser." };
        var login = new Command("login", "Connect a provider account: sign in with the provider's own CLI in a remote browser; the credential is stored sealed to you.")
        {
            provider, label, noBrowser,
        };
        VerbAction.Set(login, globals, context => LoginAsync(context, context.Parse.GetRequiredValue(provider), context.Parse.GetValue(label), context.Parse.GetValue(noBrowser)));
        return login;
    }

    private static async Task<int> LoginAsync(VerbContext context, string provider, string? label, bool noBrowser)
    {
        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var accounts = new ConnectedAccounts(api, keys);
        var proofKey = RandomNumberGenerator.GetBytes(Polydev.Crypto.CredentialCapture.ProofKeyLength);
        try
        {
            var created = await api.StartLoginSessionAsync(context.Cancellation, provider);
            var viewer = ViewerAddress.ForConnect(state.Server, created.Id, provider, accounts.PublicKey, proofKey);
            var noBrowserReason = noBrowser ? "--no-browser was given" : Browser.Here.Open(viewer);
            if (noBrowserReason is null)
            {
                Output.Note($"Opened the sign-in in your browser. Sign in to {Providers.DisplayName(provider)} there; waiting (Ctrl+C gives up).");
            }
            else
            {
                context.Output.Line(viewer.AbsoluteUri);
                Output.Note($"Open the link above in a browser signed in to this server before {created.OpenBy.ToLocalTime():HH:mm:ss} and sign in to {Providers.DisplayName(provider)} there (no browser opened: {noBrowserReason}). Waiting…");
            }

            var ended = await WaitAsync(api, created.Id, context.Cancellation);
            if (ended.EndReason != LoginSessionEndReasons.Connected)
            {
                throw new CliException($"{Providers.DisplayName(provider)} was not connected: the login session ended: {LoginSessionEnding.Sentence(ended.EndReason)}");
            }

            var capture = await api.GetLoginSessionCredentialAsync(created.Id, context.Cancellation);
            var captured = accounts.OpenCapture(capture.SealedCredential ?? throw new CliException("the login session ended connected but the server holds no credential for it; connect again."), proofKey, provider);
            var (id, secret) = await accounts.StoreAsync(captured, label, context.Cancellation);
            context.Output.Result(new { id, provider, label = secret.Label, type = secret.Type, account = secret.Account, expiresAt = secret.ExpiresAt, refreshable = secret.Refreshable, session = created.Id });
            context.Output.Line($"Connected {Providers.DisplayName(provider)}{(secret.Account is { } account ? " account " + Output.OneLine(account) : "")}: stored credential {id}{Expiry(secret)}.");
            return ExitCodes.Success;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(proofKey);
        }
    }

    private static async Task<LoginSessionResponse> WaitAsync(PolydevApi api, Guid id, CancellationToken cancellationToken)
    {
        try
        {
            return await LoginSessionWatch.Of(api, id).UntilEndedAsync(_ => { }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Giving up ends the session: its sandbox holds a half-finished sign-in nobody will complete.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await api.EndLoginSessionAsync(id, timeout.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            throw new CliException("stopped: the login session was ended and nothing was stored.", ExitCodes.Interrupted);
        }
    }

    private static string Expiry(CredentialSecret secret) => secret.ExpiresAt is { } at
        ? $" (token expires {Output.When(at)}{(secret.Refreshable ? "; the CLI refreshes it" : "")})"
        : "";
}
