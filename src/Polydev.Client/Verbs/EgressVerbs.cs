using System.CommandLine;
using System.Globalization;
using System.Net;
using Polydev.Client.Api;
using Polydev.Client.Terminal;
using Polydev.Contracts.Egress;

namespace Polydev.Client.Verbs;

/// <summary><c>polydev egress status|token</c>: your own egress port, what it moved, and the address the internet sees.</summary>
internal static class EgressVerbs
{
    public static Command Create(GlobalOptions globals)
    {
        var status = new Command("status", "Your egress port, the bytes it moved, and a live check of your egress address.");
        VerbAction.Set(status, globals, StatusAsync);

        var lifetime = new Option<int?>("--seconds") { Description = "How long the token works (default: the server's, one hour).", HelpName = "N" };
        var token = new Command("token", "A short-lived proxy token for your port, printed as an HTTPS_PROXY URL.") { lifetime };
        VerbAction.Set(token, globals, context => TokenAsync(context, context.Parse.GetValue(lifetime)));

        return new Command("egress", "Your egress: every byte your sandboxes send leaves through your own port.") { status, token };
    }

    private static async Task<int> StatusAsync(VerbContext context)
    {
        using var api = context.SignedInApi(out _);
        var egress = await api.GetEgressAsync(context.Cancellation);
        EgressCheckResponse? check = null;
        string? checkProblem = null;
        try
        {
            check = await api.CheckEgressAsync(context.Cancellation);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway)
        {
            checkProblem = e.Message;
        }

        context.Output.Result(new { egress, check, checkProblem });
        context.Output.Line($"port          {egress.ProxyHost}:{egress.Port} ({egress.Mode})");
        context.Output.Line($"since         {Output.When(egress.AllocatedAt)}");
        context.Output.Line($"sent          {Bytes(egress.BytesUp)}");
        context.Output.Line($"received      {Bytes(egress.BytesDown)}");
        context.Output.Line($"open tunnels  {egress.ActiveTunnels}");
        context.Output.Line(check switch
        {
            { Address: { } address } => $"egress IP     {address} (checked in {check.ElapsedMs:0} ms)",
            { } other => $"egress IP     unknown: the check answered {other.Status}: {Output.OneLine(other.Body)}",
            null => $"egress IP     not checked: {checkProblem}",
        });
        return ExitCodes.Success;
    }

    private static async Task<int> TokenAsync(VerbContext context, int? seconds)
    {
        using var api = context.SignedInApi(out _);
        var created = await api.CreateEgressTokenAsync(new CreateEgressTokenRequest(seconds), context.Cancellation);
        context.Output.Result(created);
        context.Output.Line(created.ProxyUrl);
        if (!context.Output.Json)
        {
            Output.Note($"Proxy token {created.Id}, valid until {Output.When(created.ExpiresAt)}. Use it as HTTPS_PROXY/HTTP_PROXY; it opens only your port.");
        }

        return ExitCodes.Success;
    }

    private static string Bytes(long count) => count switch
    {
        < 1024 => $"{count} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{count / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{count / 1048576.0:0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{count / 1073741824.0:0.00} GiB"),
    };
}
