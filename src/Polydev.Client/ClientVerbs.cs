using System.CommandLine;
using Polydev.Client.Verbs;

namespace Polydev.Client;

/// <summary>Registers the client's verbs on the root command. docs/cli.md describes each one.</summary>
public static class ClientVerbs
{
    public static void AddTo(RootCommand root)
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
            CompletionVerb.Create(globals),
        ];
        foreach (var verb in verbs)
        {
            root.Add(globals.AddTo(verb));
        }
    }
}
