using System.Text;
using System.Text.RegularExpressions;

namespace Polydev.Client.Terminal;

/// <summary>
/// An answer's Markdown on a terminal, as it streams (issue 14): each line is styled once it is complete — headings
/// bold, list bullets, quotes, rules, **bold**, *emphasis*, `code` and links — and fenced code blocks are highlighted
/// (keywords, strings, comments, numbers of the usual languages). Line by line because the answer arrives in pieces:
/// a whole-document parser would have to wait for the end. The text is made printable (<see cref="TerminalText"/>)
/// before this adds its own escapes, so an answer can never steer the terminal. Piped, the answer goes out as written.
/// </summary>
internal sealed partial class TerminalMarkdown(TextWriter output, bool styled)
{
    private const string Reset = "\u001b[0m";
    private const string Bold = "\u001b[1m";
    private const string Dim = "\u001b[2m";
    private const string Italic = "\u001b[3m";
    private const string Underline = "\u001b[4m";
    private const string Keyword = "\u001b[35m";
    private const string String = "\u001b[32m";
    private const string Number = "\u001b[36m";
    private const string Code = "\u001b[36m";

    private static readonly Dictionary<string, HashSet<string>> Keywords = BuildKeywords();

    private readonly StringBuilder _line = new();
    private HashSet<string>? _codeKeywords;
    private bool _inCode;
    private string _commentStart = "";

    /// <summary>Whether the last character written ended a line (so the caller knows whether to add one).</summary>
    public bool AtLineStart { get; private set; } = true;

    /// <summary>Takes the next piece of the answer; prints the lines it completes (all of it, unstyled, when piped).</summary>
    public void Write(string text)
    {
        if (!styled)
        {
            output.Write(TerminalText.Printable(text));
            AtLineStart = text.Length == 0 ? AtLineStart : text[^1] == '\n';
            return;
        }

        foreach (var c in text)
        {
            if (c == '\n')
            {
                output.Write(Render(_line.ToString()) + "\n");
                _line.Clear();
                AtLineStart = true;
            }
            else
            {
                _line.Append(c);
            }
        }
    }

    /// <summary>Prints a last line that did not end with a line break.</summary>
    public void Flush()
    {
        if (styled && _line.Length > 0)
        {
            output.Write(Render(_line.ToString()));
            _line.Clear();
            AtLineStart = false;
        }

        output.Flush();
    }

    /// <summary>The whole of <paramref name="markdown"/> (a stored answer), styled or as written.</summary>
    public static string Render(string markdown, bool styled)
    {
        using var writer = new StringWriter();
        var printer = new TerminalMarkdown(writer, styled);
        printer.Write(markdown);
        printer.Flush();
        return writer.ToString();
    }

    private string Render(string raw)
    {
        var line = TerminalText.Printable(raw.TrimEnd('\r'));
        if (Fence().Match(line) is { Success: true } fence)
        {
            _inCode = !_inCode;
            var language = fence.Groups["lang"].Value.ToLowerInvariant();
            _codeKeywords = _inCode ? Keywords.GetValueOrDefault(language) : null;
            _commentStart = language is "python" or "py" or "bash" or "sh" or "shell" or "ruby" or "yaml" or "toml" ? "#" : language is "sql" ? "--" : "//";
            return Dim + (_inCode ? $"┌─ {(language.Length > 0 ? language : "code")}" : "└─") + Reset;
        }

        if (_inCode)
        {
            return Dim + "│ " + Reset + Highlight(line);
        }

        if (Heading().Match(line) is { Success: true } heading)
        {
            var level = heading.Groups["hashes"].Length;
            return Bold + (level == 1 ? Underline : "") + Inline(heading.Groups["text"].Value) + Reset;
        }

        if (Rule().IsMatch(line))
        {
            return Dim + new string('─', 40) + Reset;
        }

        if (Quote().Match(line) is { Success: true } quote)
        {
            return Dim + "│ " + Reset + Italic + Inline(quote.Groups["text"].Value) + Reset;
        }

        if (Bullet().Match(line) is { Success: true } bullet)
        {
            return bullet.Groups["indent"].Value + "• " + Inline(bullet.Groups["text"].Value);
        }

        return Inline(line);
    }

    /// <summary>**bold**, *em* / _em_, `code`, [text](url) within a line; everything else as it is.</summary>
    private static string Inline(string line) =>
        InlinePattern().Replace(line, m =>
            m.Groups["code"].Success ? Code + m.Groups["code"].Value + Reset
            : m.Groups["bold"].Success ? Bold + m.Groups["bold"].Value + Reset
            : m.Groups["em"].Success ? Italic + m.Groups["em"].Value + Reset
            : m.Groups["em2"].Success ? Italic + m.Groups["em2"].Value + Reset
            : Underline + m.Groups["label"].Value + Reset + Dim + " (" + m.Groups["url"].Value + ")" + Reset);

    private string Highlight(string line)
    {
        var text = new StringBuilder();
        foreach (Match token in CodeToken().Matches(line))
        {
            var value = token.Value;
            if (!token.Groups["string"].Success && line.AsSpan(token.Index).StartsWith(_commentStart, StringComparison.Ordinal))
            {
                // The rest of the line is the comment.
                text.Append(Dim).Append(line[token.Index..]).Append(Reset);
                return text.ToString();
            }

            text.Append(
                token.Groups["string"].Success ? String + value + Reset
                : token.Groups["number"].Success ? Number + value + Reset
                : token.Groups["word"].Success && _codeKeywords?.Contains(value) == true ? Keyword + value + Reset
                : value);
        }

        return text.ToString();
    }

    private static Dictionary<string, HashSet<string>> BuildKeywords()
    {
        HashSet<string> Set(string words) => new(words.Split(' '), StringComparer.Ordinal);
        var python = Set("def return if elif else for while in import from as class try except finally with lambda yield not and or is None True False pass break continue raise async await global");
        var js = Set("function return if else for while const let var class new import export from default async await try catch finally throw typeof instanceof null undefined true false this switch case break continue of in interface type extends implements");
        var csharp = Set("using namespace class record struct interface public private protected internal static readonly var new return if else for foreach while in async await try catch finally throw null true false this switch case break continue string int bool void sealed override abstract virtual get set init");
        var go = Set("func return if else for range package import var const type struct interface map chan go defer select switch case break continue nil true false");
        var rust = Set("fn let mut return if else for while loop match impl struct enum trait pub use mod crate self Self async await move ref true false None Some Ok Err");
        var shell = Set("if then else elif fi for in do done while case esac function return export local echo set unset");
        var sql = Set("SELECT FROM WHERE INSERT INTO VALUES UPDATE SET DELETE CREATE TABLE INDEX JOIN LEFT RIGHT INNER ON AND OR NOT NULL PRIMARY KEY ORDER BY GROUP LIMIT AS select from where insert into values update set delete create table join on and or not null order by group limit as");
        var java = Set("public private protected class interface static final void return if else for while new import package try catch finally throw null true false this extends implements");
        var c = Set("int char void return if else for while struct typedef static const unsigned long short include define sizeof NULL switch case break continue");
        return new Dictionary<string, HashSet<string>>(StringComparer.Ordinal)
        {
            ["python"] = python, ["py"] = python,
            ["javascript"] = js, ["js"] = js, ["typescript"] = js, ["ts"] = js, ["tsx"] = js, ["jsx"] = js,
            ["csharp"] = csharp, ["cs"] = csharp, ["c#"] = csharp,
            ["go"] = go, ["rust"] = rust, ["rs"] = rust,
            ["bash"] = shell, ["sh"] = shell, ["shell"] = shell, ["zsh"] = shell,
            ["sql"] = sql, ["java"] = java, ["kotlin"] = java, ["c"] = c, ["cpp"] = c, ["c++"] = c,
        };
    }

    [GeneratedRegex(@"^\s*(```|~~~)\s*(?<lang>[\w#+.-]*)\s*$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^(?<hashes>#{1,6})\s+(?<text>.*?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^\s*([-*_])(\s*\1){2,}\s*$")]
    private static partial Regex Rule();

    [GeneratedRegex(@"^\s*>\s?(?<text>.*)$")]
    private static partial Regex Quote();

    [GeneratedRegex(@"^(?<indent>\s*)[-*+]\s+(?<text>.*)$")]
    private static partial Regex Bullet();

    [GeneratedRegex(@"`(?<code>[^`]+)`|\*\*(?<bold>[^*]+)\*\*|(?<![\w*])\*(?<em>[^*\s][^*]*)\*(?![\w*])|(?<!\w)_(?<em2>[^_\s][^_]*)_(?!\w)|\[(?<label>[^\]]+)\]\((?<url>[^)\s]+)\)")]
    private static partial Regex InlinePattern();

    [GeneratedRegex(@"(?<string>""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*')|(?<number>\b\d+(?:\.\d+)?\b)|(?<word>[A-Za-z_][A-Za-z0-9_]*)|(?<other>\s+|.)")]
    private static partial Regex CodeToken();
}
