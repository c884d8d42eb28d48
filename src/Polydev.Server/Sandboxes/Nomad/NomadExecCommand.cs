namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// A <see cref="SandboxCommand"/> as Nomad's exec takes it: a command line alone (the API has no environment or
/// working directory), so those two are applied inside by the image's <c>/bin/sh</c>, from arguments (never spliced
/// into the script): <c>sh -c SCRIPT sh DIR NAME=VALUE… -- PROGRAM ARGS…</c>. The values travel in the exec request,
/// which Nomad does not log; Polydev never puts a secret there (credentials arrive sealed, over the agent channel).
/// </summary>
internal static class NomadExecCommand
{
    private const string Script = "d=$1; shift; while [ \"$1\" != -- ]; do export \"$1\"; shift; done; shift; if [ -n \"$d\" ]; then cd \"$d\" || exit 126; fi; exec \"$@\"";

    public static IReadOnlyList<string> Of(SandboxCommand command)
    {
        if (command.Environment.Count == 0 && command.WorkingDirectory is null)
        {
            return command.Arguments;
        }

        foreach (var name in command.Environment.Keys)
        {
            if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name == "--")
            {
                throw new ArgumentException($"'{name}' is not an environment variable name.", nameof(command));
            }
        }

        return ["/bin/sh", "-c", Script, "sh", command.WorkingDirectory ?? "", .. command.Environment.Select(p => $"{p.Key}={p.Value}"), "--", .. command.Arguments];
    }
}
