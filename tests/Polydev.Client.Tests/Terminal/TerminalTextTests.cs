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
}
