using System.Text;

namespace Polydev.Client.Terminal;

/// <summary>
/// Asks the person at the terminal. Questions go to stderr so that stdout stays clean for
/// <c>eval "$(polydev unlock)"</c> and for <c>--json</c>.
/// </summary>
internal static class Prompt
{
    /// <summary>Whether there is a person to ask: stdin is a terminal, not a pipe or a file.</summary>
    public static bool CanAsk => !Console.IsInputRedirected;

    /// <summary>Reads a line without echoing it (passwords, API keys, recovery codes).</summary>
    public static string ReadHidden(string question)
    {
        Console.Error.Write(question);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return text.ToString();
    }

    /// <summary>Reads a visible line (for example the e-mail typed to confirm a deletion).</summary>
    public static string ReadLine(string question)
    {
        Console.Error.Write(question);
        return Console.ReadLine() ?? "";
    }

    /// <summary>Reads all of stdin, without the trailing line break an <c>echo</c> or a file adds.</summary>
    public static string ReadAllStdin() => Console.In.ReadToEnd().TrimEnd('\r', '\n');
}
