using Polydev.Client.Terminal;

namespace Polydev.Client.Tests;

/// <summary>Issue 14: answers as Markdown on a terminal, line by line as they stream; as written when piped.</summary>
public sealed class TerminalMarkdownTests
{
    private const string Answer = "# Plan\n\nRun **this** with `ls` and see [docs](https://example.com):\n\n- one\n> quoted\n\n```python\nx = \"hi\"  # greet\nreturn 42\n```\n";

    [Fact]
    public void On_a_terminal_markdown_is_styled_and_code_highlighted()
    {
        var styled = TerminalMarkdown.Render(Answer, styled: true);

        Assert.Contains("\u001b[1m\u001b[4mPlan\u001b[0m", styled, StringComparison.Ordinal);
        Assert.Contains("Run \u001b[1mthis\u001b[0m with \u001b[36mls\u001b[0m and see \u001b[4mdocs\u001b[0m\u001b[2m (https://example.com)\u001b[0m:", styled, StringComparison.Ordinal);
        Assert.Contains("• one", styled, StringComparison.Ordinal);
        Assert.Contains("\u001b[2m┌─ python\u001b[0m", styled, StringComparison.Ordinal);
        Assert.Contains("x = \u001b[32m\"hi\"\u001b[0m  \u001b[2m# greet\u001b[0m", styled, StringComparison.Ordinal);
        Assert.Contains("\u001b[35mreturn\u001b[0m \u001b[36m42\u001b[0m", styled, StringComparison.Ordinal);
        Assert.DoesNotContain("**", styled, StringComparison.Ordinal);
        Assert.DoesNotContain("```", styled, StringComparison.Ordinal);
    }

    [Fact]
    public void Piped_the_answer_goes_out_as_written_and_an_answers_own_escapes_never_act()
    {
        Assert.Equal(Answer, TerminalMarkdown.Render(Answer, styled: false));

        var hostile = "**bold \u001b[31m** and \u009b2J\n";
        var styled = TerminalMarkdown.Render(hostile, styled: true);
        Assert.DoesNotContain("\u001b[31m", styled, StringComparison.Ordinal);
        Assert.DoesNotContain("\u009b", styled, StringComparison.Ordinal);
        Assert.Contains("\\u{001B}[31m", styled, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[31m", TerminalMarkdown.Render(hostile, styled: false), StringComparison.Ordinal);
    }

    [Fact]
    public void Pieces_that_split_a_line_are_styled_once_the_line_is_whole()
    {
        using var writer = new StringWriter();
        var printer = new TerminalMarkdown(writer, styled: true);
        printer.Write("Some **bo");
        Assert.Equal("", writer.ToString());
        printer.Write("ld** text\nand a tail");
        Assert.Equal("Some \u001b[1mbold\u001b[0m text\n", writer.ToString());
        printer.Flush();
        Assert.Equal("Some \u001b[1mbold\u001b[0m text\nand a tail", writer.ToString());
        Assert.False(printer.AtLineStart);
    }
}
