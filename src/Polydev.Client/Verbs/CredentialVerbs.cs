using System.CommandLine;
using Polydev.Client.Terminal;
using Polydev.Client.Vault;
using Polydev.Contracts;
using Polydev.Contracts.Vault;

namespace Polydev.Client.Verbs;

/// <summary>
/// <c>polydev credentials add|list|remove</c>: provider API keys, sealed under the user key before they leave this
/// machine. Secrets are read from stdin or a hidden prompt, never from arguments, and never printed.
/// </summary>
internal static class CredentialVerbs
{
    private const string ListVerb = "polydev credentials list";

    public static Command Create(GlobalOptions globals)
    {
        var provider = new Argument<string>("PROVIDER") { Description = $"One of: {string.Join(", ", Providers.All)}." };
        provider.AcceptOnlyFromAmong([.. Providers.All]);
        var label = new Option<string?>("--label") { Description = "A name to tell this credential apart (default: the provider's name).", HelpName = "LABEL" };
        var baseUrl = new Option<string?>("--base-url") { Description = "The API endpoint this key belongs to, when it is not the provider's own (a company gateway); `polydev run` uses it.", HelpName = "URL" };
        var caFile = new Option<string?>("--ca-file") { Description = "A PEM CA bundle to trust for --base-url, stored sealed with the key.", HelpName = "PATH" };
        var add = new Command("add", "Store an API key. It is read from stdin when stdin is redirected, else from a hidden prompt.") { provider, label, baseUrl, caFile };
        VerbAction.Set(add, globals, context => AddAsync(
            context,
            context.Parse.GetRequiredValue(provider),
            context.Parse.GetValue(label),
            Endpoint.ParseBaseUrl(context.Parse.GetValue(baseUrl), "--base-url"),
            context.Parse.GetValue(caFile)));

        var filter = new Option<string?>("--provider") { Description = "Only this provider's credentials.", HelpName = "PROVIDER" };
        filter.AcceptOnlyFromAmong([.. Providers.All]);
        var list = new Command("list", "List your credentials (id, provider, label, created); never their secrets.") { filter };
        VerbAction.Set(list, globals, context => ListAsync(context, context.Parse.GetValue(filter)));

        var id = new Argument<string>("ID") { Description = "The credential's id, or a unique start of it." };
        var remove = new Command("remove", "Delete a credential.") { id };
        VerbAction.Set(remove, globals, context => RemoveAsync(context, context.Parse.GetRequiredValue(id)));

        return new Command("credentials", "Your provider credentials (API keys and connected accounts), end-to-end encrypted.") { add, CredentialLoginVerb.Create(globals), list, remove };
    }

    private static async Task<int> AddAsync(VerbContext context, string provider, string? label, string? baseUrl, string? caFile)
    {
        var caBundle = await Endpoint.ReadCaBundleAsync(caFile, "--ca-file", context.Cancellation);
        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var secret = ReadSecret(provider);

        var id = Guid.CreateVersion7();
        var plaintext = new CredentialSecret(label is { Length: > 0 } ? label : provider, CredentialSecret.ApiKey, secret, baseUrl, caBundle);
        var created = await api.CreateCredentialAsync(new CreateCredentialRequest(id, provider, plaintext.Seal(new VaultCipher(keys), id, provider)), context.Cancellation);

        context.Output.Result(new { id = created.Id, provider, label = plaintext.Label, type = plaintext.Type, createdAt = created.CreatedAt });
        context.Output.Line($"Stored credential {created.Id} ({provider}, {Output.OneLine(plaintext.Label)}).");
        return ExitCodes.Success;
    }

    private static string ReadSecret(string provider)
    {
        var secret = Prompt.CanAsk ? Prompt.ReadHidden($"API key for {provider}: ") : Prompt.ReadAllStdin();
        if (secret.Length == 0)
        {
            throw new UsageException(Prompt.CanAsk
                ? "the API key is empty; nothing was stored."
                : $"no API key on stdin; pipe it in (polydev credentials add {provider} < key.txt) or run in a terminal to be asked.");
        }

        return secret;
    }

    private static async Task<int> ListAsync(VerbContext context, string? provider)
    {
        using var api = context.SignedInApi(out var state);
        using var keys = await Session.KeysAsync(context, api, state);
        var cipher = new VaultCipher(keys);
        var credentials = await api.ListCredentialsAsync(provider, context.Cancellation);
        var opened = credentials.Select(c => (Record: c, Opened: CredentialSecret.Open(cipher, c.Id, provider ?? c.Provider, c.Secret))).ToList();

        await LegacyRecords.ResealAsync(
            opened.Where(o => o.Opened.Legacy).Select(o => (Func<Task>)(() => api.UpdateCredentialAsync(
                o.Record.Id, new UpdateCredentialRequest(o.Opened.Secret.Seal(cipher, o.Record.Id, o.Record.Provider), o.Record.Revision), context.Cancellation))),
            "older credential", "older credentials", "its provider");

        // Only what describes each credential leaves this scope; the secret is dropped right here.
        var now = DateTimeOffset.UtcNow;
        var rows = opened.Select(o => new
        {
            id = o.Record.Id, provider = o.Record.Provider, label = o.Opened.Secret.Label, type = o.Opened.Secret.Type, baseUrl = o.Opened.Secret.BaseUrl,
            account = o.Opened.Secret.Account, expiresAt = o.Opened.Secret.ExpiresAt, refreshable = o.Opened.Secret.Refreshable,
            status = CredentialStatus.Of(o.Opened.Secret, now), createdAt = o.Record.CreatedAt,
        }).ToList();

        var shortId = IdPrefix.Shortest(rows.Select(r => r.id));
        context.Output.List(
            rows,
            "No credentials yet. Add an API key (polydev credentials add anthropic < key.txt) or connect an account (polydev credentials login anthropic).",
            ["ID", "PROVIDER", "TYPE", "LABEL", "ACCOUNT", "EXPIRES", "CREATED"],
            r => [shortId(r.id), r.provider, r.type, Output.OneLine(r.label), r.account is null ? "-" : Output.OneLine(r.account), r.status.Text, Output.When(r.createdAt)]);
        foreach (var row in rows.Where(r => r.status.Warning is not null))
        {
            Output.Note($"{shortId(row.id)} ({row.provider}): {row.status.Warning}");
        }

        return ExitCodes.Success;
    }

    private static async Task<int> RemoveAsync(VerbContext context, string idText)
    {
        // Ids are not secret: removing needs the session token, not the keys.
        using var api = context.SignedInApi(out _);
        var credentials = await api.ListCredentialsAsync(null, context.Cancellation);
        var credential = IdPrefix.Single(credentials, c => c.Id, idText, "credential", ListVerb, c => c.Provider);
        await api.DeleteCredentialAsync(credential.Id, context.Cancellation);

        context.Output.Result(new { removed = credential.Id });
        context.Output.Line($"Removed credential {credential.Id} ({credential.Provider}).");
        return ExitCodes.Success;
    }
}
