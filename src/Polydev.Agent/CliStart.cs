using System.Diagnostics;

namespace Polydev.Agent;

/// <summary>
/// How a provider's CLI process is started, by a job or ahead of one: its executable and a clean environment, nothing
/// of the agent's own but the few variables named here. What a job adds (credential files, proxy, base URL, CA) is
/// the job's to add.
/// </summary>
internal static class CliStart
{
    /// <summary>The executable the agent's environment names instead of the image's CLI (tests, derived images), or null.</summary>
    public static string? Override(ProviderSpec spec) =>
        Environment.GetEnvironmentVariable(spec.ExecutableOverride) is { Length: > 0 } path ? path : null;

    public static ProcessStartInfo For(ProviderSpec spec, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Override(spec) ?? spec.DefaultExecutable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory.GetCurrentDirectory(),
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        IDictionary<string, string?> env = start.Environment;
        env.Clear();
        env["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        env["HOME"] = AgentProgram.Home;
        env["LANG"] = Environment.GetEnvironmentVariable("LANG") ?? "C.UTF-8";
        // NODE_COMPILE_CACHE: the image's V8 code cache for the CLI's bundle (images/runtime/Dockerfile).
        foreach (string name in (string[])["TMPDIR", "USER", "LOGNAME", "TZ", "NODE_COMPILE_CACHE"])
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                env[name] = value;
            }
        }

        env["TERM"] = "dumb";
        env["NO_COLOR"] = "1";
        foreach (var (name, value) in spec.FixedEnvironment)
        {
            env[name] = value;
        }

        return start;
    }
}
