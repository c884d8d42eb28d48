using System.CommandLine;
using System.Security.Cryptography;
using Polydev.Client.State;
using Polydev.Client.Terminal;
using Polydev.Contracts;

namespace Polydev.Client.Verbs;

/// <summary>
/// <c>polydev status</c>: where this machine stands — the server, who is signed in, whether the vault is unlocked
/// here, the user's egress port, and which providers run with how many warm sandboxes. Reads only: it asks for no
/// password and changes nothing.
/// </summary>
internal static class StatusVerb
{
    public static Command Create(GlobalOptions globals)
    {
        var command = new Command("status", "Show the server, your session, whether the vault is unlocked, your egress port and the warm sandboxes.");
        VerbAction.Set(command, globals, StatusAsync);
        return command;
    }

    private static async Task<int> StatusAsync(VerbContext context)
    {
        if (context.State is null)
        {
            context.Output.Result(new { server = context.SignInServer, signedIn = false });
            context.Output.Line($"Server:     {context.SignInServer}");
            context.Output.Line("Signed in:  no (polydev login --email you@example.com, or polydev signup)");
            return ExitCodes.Success;
        }

        using var api = context.SignedInApi(out var state);
        var unlocked = Unlocked(state);
        var egress = await api.GetEgressAsync(context.Cancellation);
        var runtimes = await api.GetRuntimesAsync(context.Cancellation);

        context.Output.Result(new
        {
            server = state.Server,
            signedIn = true,
            email = state.Email,
            unlocked,
            egressPort = egress.Port,
            sandboxes = runtimes.Sandboxes,
            runtimes = runtimes.Runtimes,
            maxRunSeconds = runtimes.Limits.MaxRunSeconds,
        });
        context.Output.Line($"Server:     {state.Server}");
        context.Output.Line($"Signed in:  {TerminalText.Printable(state.Email)}");
        context.Output.Line(unlocked
            ? "Vault:      unlocked here (POLYDEV_SESSION opens this machine's key cache)"
            : "Vault:      locked (eval \"$(polydev unlock)\")");
        context.Output.Line($"Egress:     port {egress.Port} ({egress.Mode})");
        if (!runtimes.Sandboxes)
        {
            context.Output.Line("Sandboxes:  this server runs none; ask its operator to enable an engine.");
            return ExitCodes.Success;
        }

        foreach (var runtime in runtimes.Runtimes)
        {
            var name = $"{Providers.CliName(runtime.Provider)} ({runtime.Provider})";
            var availability = !runtime.Enabled ? "off on this server"
                : runtime.Ready > 0 ? $"{runtime.Ready} warm sandbox{(runtime.Ready == 1 ? "" : "es")} ready"
                : "none warm: the next run starts a sandbox first and takes longer";
            context.Output.Line($"{(runtime == runtimes.Runtimes[0] ? "Sandboxes:  " : "            ")}{name}: {availability}");
        }

        context.Output.Line($"Limits:     {runtimes.Limits.MaxRunSeconds} s per run");
        return ExitCodes.Success;
    }

    /// <summary>Whether POLYDEV_SESSION opens this machine's key cache (the keys are dropped at once).</summary>
    private static bool Unlocked(LocalState state)
    {
        if (state.KeyCache is not { } cache || SessionKey.FromEnvironment() is not { } sessionKey)
        {
            return false;
        }

        try
        {
            using var keys = KeyCacheCipher.TryOpen(sessionKey, cache, state.UserId);
            return keys is not null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sessionKey);
        }
    }
}
