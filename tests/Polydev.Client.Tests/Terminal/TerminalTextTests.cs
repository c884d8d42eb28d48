using System.Globalization;
using System.Text;
using System.Text.Json;
using Polydev.Client.Terminal;

namespace Polydev.Client.Tests.Terminal;

/// <summary>
/// Issue 13, finding 12: the terminal client printed server-provided text (token names, problem details, a model's
/// answer) as it was, so escape sequences in it steered the user's terminal. Everything printed is made printable.
/// </summary>
public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("\u001b[2J\u001b[31mfake prompt", "\\u{001B}[2J\\u{001B}[31mfake prompt")]
    [InlineData("invoice\u202Efdp.exe", "invoice\\u{202E}fdp.exe")]
    [InlineData("a\u200Bb\u2028c\u0085d\u007f", "a\\u{200B}b\\u{2028}c\\u{0085}d\\u{007F}")]
    [InlineData("carriage\rreturn", "carriage\\u{000D}return")]
    [InlineData("two\nlines\tand a tab", "two\nlines\tand a tab")]
    [InlineData("部署 🚀 déjà", "部署 🚀 déjà")]
    public void Steering_and_invisible_characters_are_shown_not_obeyed(string text, string printed) =>
        Assert.Equal(printed, TerminalText.Printable(text));

    [Fact]
    public void A_lone_surrogate_is_shown_as_its_code() =>
        Assert.Equal("lone \\u{D800} surrogate", TerminalText.Printable("lone " + (char)0xD800 + " surrogate"));

    [Fact]
    public void In_a_table_cell_line_breaks_are_shown_too() =>
        Assert.Equal("a\\u{000A}b\\u{0009}c", TerminalText.Printable("a\nb\tc", keepLineBreaks: false));

    [Fact]
    public void A_json_event_is_printed_as_the_same_json_with_nothing_that_steers_a_terminal()
    {
        // JSON lets these stand raw inside a string: a C1 CSI, a right-to-left override, a line separator, DEL.
        const string Text = "a\u009B2Jb\u202Egpj.exe\u2028c\u007F \u0441\u043B\u043E\u0432\u043E \U0001F680";
        var sent = Encoding.UTF8.GetBytes("{\"type\":\"text\",\"text\":\"" + Text + "\"}");

        var printed = TerminalText.PrintableJson(sent);

        Assert.DoesNotContain(printed, c => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.Surrogate);
        using var reread = JsonDocument.Parse(printed);
        Assert.Equal(Text, reread.RootElement.GetProperty("text").GetString());
        Assert.Equal("text", reread.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public void What_is_not_json_is_printed_as_text() =>
        Assert.Equal("{\\u{001B}[2J", TerminalText.PrintableJson(Encoding.UTF8.GetBytes("{\u001B[2J")));

    [Fact]
    public void Table_columns_line_up_with_the_escaped_cells()
    {
        var lines = Output.TableLines(["NAME", "ID"], [["ci\u202Ex", "1"], ["deploy", "2"]]).ToList();

        Assert.Equal(["NAME         ID", "ci\\u{202E}x  1", "deploy       2"], lines);
    }
}
