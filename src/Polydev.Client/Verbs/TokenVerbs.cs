using System.CommandLine;
using Polydev.Client.Terminal;
using Polydev.Contracts.Accounts;

namespace Polydev.Client.Verbs;

/// <summary><c>polydev tokens create|list|revoke</c>: long-lived API tokens for scripts and MCP clients.</summary>
internal static class TokenVerbs
{
    public static Command Create(GlobalOptions globals)
    {
        var name = new Argument<string>("NAME") { Description = "What the token is for." };
        var days = new Option<int?>("--days") { Description = "Expire after this many days (default: the server's maximum).", HelpName = "N" };
        var create = new Command("create", "Create an API token; it is shown once.") { name, days };
        VerbAction.Set(create, globals, context => CreateAsync(context, context.Parse.GetRequiredValue(name), context.Parse.GetValue(days)));

        var list = new Command("list", "List your active API tokens (never the tokens themselves).");
        VerbAction.Set(list, globals, ListAsync);

        var id = new Argument<string>("ID") { Description = "The token's id, or a unique start of it." };
        var revoke = new Command("revoke", "Revoke an API token.") { id };
        VerbAction.Set(revoke, globals, context => RevokeAsync(context, context.Parse.GetRequiredValue(id)));

        return new Command("tokens", "API tokens: vault access for scripts, without the password.") { create, list, revoke };
    }

    private static async Task<int> CreateAsync(VerbContext context, string name, int? days)
    {
        using var api = context.SignedInApi(out _);
        var created = await api.CreateTokenAsync(new CreateApiTokenRequest(name, days), context.Cancellation);
        context.Output.Result(created);
        context.Output.Line(created.Token);
        if (!context.Output.Json)
        {
            Output.Note($"Created API token {created.Id} ({created.Name}, expires {Output.When(created.ExpiresAt)}). It will not be shown again.");
        }

        return ExitCodes.Success;
    }

    private static async Task<int> ListAsync(VerbContext context)
    {
        using var api = context.SignedInApi(out _);
        var tokens = await api.ListTokensAsync(context.Cancellation);
        var shortId = IdPrefix.Shortest(tokens.Select(t => t.Id));
        context.Output.List(
            tokens,
            "No API tokens. Create one with: polydev tokens create NAME",
            ["ID", "CREATED", "LAST USED", "EXPIRES", "NAME"],
            t => [shortId(t.Id), Output.When(t.CreatedAt), Output.When(t.LastUsedAt), Output.When(t.ExpiresAt), Output.OneLine(t.Name ?? "")]);
        return ExitCodes.Success;
    }

    private static async Task<int> RevokeAsync(VerbContext context, string idText)
    {
        using var api = context.SignedInApi(out _);
        var token = IdPrefix.Single(await api.ListTokensAsync(context.Cancellation), t => t.Id, idText, "API token", "polydev tokens list", t => t.Name ?? "");
        await api.RevokeTokenAsync(token.Id, context.Cancellation);
        context.Output.Result(new { revoked = token.Id });
        context.Output.Line($"Revoked API token {token.Id}.");
        return ExitCodes.Success;
    }
}
