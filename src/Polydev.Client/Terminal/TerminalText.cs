using System.Globalization;
using System.Text;
using System.Text.Json;
using Polydev.Contracts;

namespace Polydev.Client.Terminal;

/// <summary>
/// Text from elsewhere (the server's answers and problem details, names a user or a script chose, a model's output)
/// made safe to print: every <see cref="SteeringCharacters"/> one (ESC, C1 controls, bidirectional overrides,
/// zero-width characters, …) is shown as a visible <c>\u{…}</c> escape instead of acting.
/// Line feeds (and tabs) stay where multi-line text is printed on purpose.
/// </summary>
internal static class TerminalText
{
    public static string Printable(string? text, bool keepLineBreaks = true)
    {
        var next = text is null ? -1 : SteeringCharacters.IndexIn(text, keepLineBreaks);
        if (next < 0)
        {
            return text ?? "";
        }

        var printable = new StringBuilder(text!.Length + 16);
        var copied = 0;
        while (next >= 0)
        {
            printable.Append(text, copied, next - copied).Append(CultureInfo.InvariantCulture, $"\\u{{{(int)text[next]:X4}}}");
            copied = next + 1;
            next = SteeringCharacters.IndexIn(text, keepLineBreaks, copied);
        }

        return printable.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary>
    /// A JSON document from elsewhere (an event a sandbox streamed) written again with the default encoder, which
    /// escapes every control, format and non-ASCII character as <c>\uXXXX</c>: the same JSON to a program reading it,
    /// nothing that steers a terminal showing it. JSON allows such characters raw inside strings (a right-to-left
    /// override, a C1 CSI), and the sender's encoder is not this client's to trust. What is not JSON is shown as text.
    /// </summary>
    public static string PrintableJson(ReadOnlyMemory<byte> utf8Json)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8Json);
            return JsonSerializer.Serialize(document.RootElement);
        }
        catch (JsonException)
        {
            return Printable(Encoding.UTF8.GetString(utf8Json.Span), keepLineBreaks: false);
        }
    }
}
