using System.Text.Json;
using Polydev.Contracts;

namespace Polydev.Client.Terminal;

/// <summary>
/// Everything printed goes through <see cref="TerminalText.Printable"/>: no text from elsewhere reaches the terminal
/// as control sequences.
/// The two faces of every verb: results on stdout (human text, or one JSON document with <c>--json</c>) and
/// everything meant for the person — notes, warnings, progress — on stderr.
/// </summary>
internal sealed class Output(bool json)
{
    public bool Json { get; } = json;

    /// <summary>A result line for people; suppressed in JSON mode, where <see cref="Result"/> carries the data.</summary>
    public void Line(string text = "")
    {
        if (!Json)
        {
            Console.Out.WriteLine(TerminalText.Printable(text));
        }
    }

    /// <summary>A note for the person (stderr), in both modes.</summary>
    public static void Note(string text) => Console.Error.WriteLine(TerminalText.Printable(text));

    /// <summary>The machine-readable result; written only in JSON mode.</summary>
    public void Result(object value)
    {
        if (Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(value, value.GetType(), PolydevJson.Options));
        }
    }

    /// <summary>
    /// A list verb's result: the rows themselves in JSON mode; for people a table of them, or <paramref name="none"/>
    /// (how to make the first one) when there are none.
    /// </summary>
    public void List<T>(IReadOnlyCollection<T> rows, string none, IReadOnlyList<string> headers, Func<T, IReadOnlyList<string>> cells)
    {
        Result(rows);
        if (rows.Count == 0)
        {
            Line(none);
            return;
        }

        Table(headers, rows.Select(cells));
    }

    /// <summary>Left-aligned columns; the last column is not padded.</summary>
    private void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        if (Json)
        {
            return;
        }

        foreach (var line in TableLines(headers, rows))
        {
            Console.Out.WriteLine(line);
        }
    }

    /// <summary>
    /// The table's lines, every cell made printable first, so that the columns line up with what is shown (an escaped
    /// character is wider than the character).
    /// </summary>
    internal static IEnumerable<string> TableLines(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.Prepend(headers).Select(row => row.Select(cell => TerminalText.Printable(cell, keepLineBreaks: false)).ToList()).ToList();
        var widths = headers.Select((_, i) => all.Max(row => row[i].Length)).ToArray();
        return all.Select(row => string.Join("  ", row.Select((cell, i) => i == row.Count - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
    }

    /// <summary>User text squeezed onto one table line: line breaks and tabs become spaces.</summary>
    public static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries));

    /// <summary>A time as people read it: local, to the minute.</summary>
    public static string When(DateTimeOffset? time) => time is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) : "-";
}
