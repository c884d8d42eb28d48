using System.CommandLine;

namespace Polydev.Client.Verbs;

/// <summary>The options every client verb takes, wherever they appear after the verb.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Server { get; } = new("--server")
    {
        Description = "The Polydev server's URL (env POLYDEV_SERVER; default: the one you signed in to, else http://127.0.0.1:8080).",
        HelpName = "URL",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write the result to stdout as JSON.",
        Recursive = true,
    };

    /// <summary>Adds the global options to a top-level verb (recursive, so its subcommands take them too).</summary>
    public Command AddTo(Command verb)
    {
        verb.Add(Server);
        verb.Add(Json);
        return verb;
    }
}
