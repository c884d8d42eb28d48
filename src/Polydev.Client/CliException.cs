namespace Polydev.Client;

/// <summary>
/// A failure the user can act on. Its message becomes the one line <c>polydev &lt;verb&gt;: message</c> on stderr,
/// so it must say what went wrong and what to do, and never contain a secret.
/// </summary>
internal class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The command line itself is wrong (a missing option, no terminal to ask on): exit code 2, like the parser's errors.</summary>
internal sealed class UsageException(string message) : CliException(message, ExitCodes.Usage);

/// <summary>Process exit codes; docs/cli.md lists them.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Interrupted = 130;
}
