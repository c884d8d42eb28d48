using System.Globalization;

namespace Polydev.Contracts;

/// <summary>
/// The characters that steer a terminal or hide what text shows instead of being shown: C0 and C1 controls (ESC starts
/// terminal sequences), DEL, format characters (bidirectional overrides and isolates, zero-width ones, BOM), line and
/// paragraph separators, lone surrogates. The server refuses them in names people read back; the terminal client
/// escapes them in whatever it prints.
/// </summary>
public static class SteeringCharacters
{
    /// <summary>The index of the first steering character in <paramref name="text"/> from <paramref name="start"/>, or -1.</summary>
    /// <param name="allowLineBreaks">Let line feeds and tabs through (multi-line text printed on purpose).</param>
    public static int IndexIn(string text, bool allowLineBreaks = false, int start = 0)
    {
        for (var i = start; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (IsSteering(text[i], allowLineBreaks))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsSteering(char c, bool allowLineBreaks) =>
        !(allowLineBreaks && c is '\n' or '\t')
        && char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate;
}
