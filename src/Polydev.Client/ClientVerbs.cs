using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Polydev.Client.Verbs;

namespace Polydev.Client;

/// <summary>Registers the client's verbs on the root command. docs/cli.md describes each one.</summary>
public static class ClientVerbs
{
    /// <param name="logging">The binary's one logging path, for the verbs that run as services (<c>polydev mcp</c>).</param>
    public static void AddTo(RootCommand root, Action<ILoggingBuilder, IConfiguration> logging)
    {
        var globals = new GlobalOptions();
        Command[] verbs =
        [
            SignupVerb.Create(globals),
            LoginVerbs.Login(globals),
            LoginVerbs.Unlock(globals),
            LoginVerbs.Lock(globals),
            LoginVerbs.Logout(globals),
            CredentialVerbs.Create(globals),
            ChatVerbs.Create(globals),
            PasswordVerb.Create(globals),
            AccountVerbs.Create(globals),
            TokenVerbs.Create(globals),
            EgressVerbs.Create(globals),
            LoginSessionsVerb.Create(globals),
            RunVerb.Create(globals),
            StatusVerb.Create(globals),
            McpVerb.Create(globals, logging),
            CompletionVerb.Create(globals),
        ];
        foreach (var verb in verbs)
        {
            root.Add(globals.AddTo(verb));
        }
    }
}
