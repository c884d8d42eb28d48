namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>
/// A <see cref="SandboxCommand"/> as Nomad's exec takes it: a command line alone (the API has no environment or
/// working directory), so those two are applied inside the sandbox — the directory by the image's shell, the
/// environment by its <c>env</c>. The values travel in the exec request, which Nomad does not log; Polydev never puts
/// a secret there (credentials arrive sealed, over the agent channel).
/// </summary>
internal static class NomadExecCommand
{
    public static IReadOnlyList<string> Of(SandboxCommand command, string envProgram)
    {
        IEnumerable<string> line = command.Arguments;
        if (command.Environment.Count > 0)
        {
            line = [envProgram, .. command.Environment.Select(p => $"{p.Key}={p.Value}"), .. line];
        }

        if (command.WorkingDirectory is { } directory)
        {
            line = ["/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory, .. line];
        }

        return [.. line];
    }
}
