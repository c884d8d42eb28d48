using System.CommandLine;

namespace Polydev.Client.Verbs;

/// <summary>
/// Runs a verb and turns every failure into the one-line form <c>polydev &lt;verb&gt;: what went wrong and what to do</c>
/// on stderr, with a non-zero exit code. Nothing else ever reaches the user as a stack trace.
/// </summary>
internal static class VerbAction
{
    public static void Set(Command command, GlobalOptions globals, Func<VerbContext, Task<int>> action)
    {
        command.SetAction(async (ParseResult parse, CancellationToken cancellation) =>
        {
            var verb = string.Join(' ', Path(parse.CommandResult.Command));
            try
            {
                return await action(new VerbContext(parse, globals, cancellation));
            }
            catch (CliException e)
            {
                await Console.Error.WriteLineAsync(Terminal.TerminalText.Printable($"polydev {verb}: {e.Message}"));
                return e.ExitCode;
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"polydev {verb}: interrupted.");
                return ExitCodes.Interrupted;
            }
            catch (Exception e)
            {
                // Our own exceptions never carry secrets; the platform's describe what failed, not the data.
                await Console.Error.WriteLineAsync(Terminal.TerminalText.Printable($"polydev {verb}: unexpected error ({e.GetType().Name}): {e.Message.ReplaceLineEndings(" ")}"));
                return ExitCodes.Failure;
            }
        });
    }

    private static IEnumerable<string> Path(Command command)
    {
        var names = new Stack<string>();
        for (Command? current = command; current is not null and not RootCommand; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Push(current.Name);
        }

        return names;
    }
}
