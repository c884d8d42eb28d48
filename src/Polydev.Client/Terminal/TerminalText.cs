using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Polydev.Client.Terminal;

/// <summary>
/// Text from elsewhere (the server's answers and problem details, names a user or a script chose, a model's output)
/// made safe to print: every character that could steer the terminal or hide what is shown — C0 and C1 controls
/// (ESC starts terminal sequences), DEL, bidirectional overrides and isolates, zero-width and other format characters,
/// line and paragraph separators, lone surrogates — is shown as a visible <c>\u{…}</c> escape instead of acting.
/// Line feeds (and tabs) stay where multi-line text is printed on purpose.
/// </summary>
internal static class TerminalText
{
    public static string Printable(string? text, bool keepLineBreaks = true)
    {
        if (string.IsNullOrEmpty(text) || !NeedsEscaping(text, keepLineBreaks))
        {
            return text ?? "";
        }

        var printable = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                printable.Append(c).Append(text[++i]);
            }
            else if (IsUnsafe(c, keepLineBreaks))
            {
                printable.Append(CultureInfo.InvariantCulture, $"\\u{{{(int)c:X4}}}");
            }
            else
            {
                printable.Append(c);
            }
        }

        return printable.ToString();
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

    private static bool NeedsEscaping(string text, bool keepLineBreaks)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (IsUnsafe(text[i], keepLineBreaks))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUnsafe(char c, bool keepLineBreaks)
    {
        if (keepLineBreaks && c is '\n' or '\t')
        {
            return false;
        }

        return char.GetUnicodeCategory(c) switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.Surrogate => true,
            _ => false,
        };
    }
}
