using System.CommandLine;
using Polydev.Client;
using Polydev.Server.Observability;
using Polydev.Verbs;

// One binary, Nomad-style verbs: `polydev server` runs the control plane; every other verb is
// the user's client. They share the crypto library and the API contracts, nothing else.
var root = new RootCommand("Polydev: your own AI coding-CLI accounts, run in zero-knowledge sandboxes.")
{
    ServerVerb.Create(),
    ImagesVerb.Create(),
    TurnVerb.Create(),
    AdminVerb.Create(),
    HostHelperVerb.Create(),
};
ClientVerbs.AddTo(root, (logging, configuration) => logging.AddPolydevLogging(configuration));
// The user's `egress` verb (status, token) gets the operator's `egress gateway` beside them: one noun, one binary.
root.Subcommands.Single(c => c.Name == "egress").Subcommands.Add(EgressVerb.Gateway());
// No @response-file expansion: a chat message or label starting with '@' is text, not a file to read.
var parser = new ParserConfiguration { ResponseFileTokenReplacer = null };
return await root.Parse(args, parser).InvokeAsync();
