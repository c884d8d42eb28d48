using System.ComponentModel;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Extensions.FileSystemGlobbing;

namespace Polydev.Client.Mcp;

/// <summary>
/// What the caller attaches to a prompt: text, named files, and files matched under a root (the old package's
/// <c>root_path</c>/<c>includes</c>/<c>excludes</c>). Read here, on the user's machine, and appended to the prompt,
/// so it travels sealed in the job like the prompt itself: the server never sees a file name or a byte of it.
/// </summary>
internal sealed class ProjectContext
{
    /// <summary>At most this much of one file is attached; a longer file is cut with a note.</summary>
    public const int MaxFileBytes = 64 * 1024;

    /// <summary>At most this much in all, and at most <see cref="MaxFiles"/> files.</summary>
    public const int MaxTotalBytes = 256 * 1024;

    public const int MaxFiles = 50;

    /// <summary>Never attached from a pattern (a named file is read even there).</summary>
    private static readonly string[] AlwaysExcluded = ["**/.git/**", "**/node_modules/**", "**/bin/**", "**/obj/**", "**/.env", "**/.env.*"];

    [JsonPropertyName("text")]
    [Description("Text to attach as it is: a diff, an error, notes.")]
    public string? Text { get; init; }

    [JsonPropertyName("files")]
    [Description("Files to attach, absolute or relative to root_path (default: the MCP server's working directory).")]
    public string[]? Files { get; init; }

    [JsonPropertyName("root_path")]
    [Description("The directory that files and the patterns are relative to.")]
    public string? RootPath { get; init; }

    [JsonPropertyName("includes")]
    [Description("Glob patterns of files to attach under root_path, such as src/**/*.cs.")]
    public string[]? Includes { get; init; }

    [JsonPropertyName("excludes")]
    [Description("Glob patterns to leave out (.git, node_modules, bin, obj and .env files are always left out).")]
    public string[]? Excludes { get; init; }

    /// <summary>The attachment as it follows the prompt; empty when nothing is attached.</summary>
    /// <exception cref="ToolInputException">A named file or the root does not exist.</exception>
    public string Render()
    {
        var root = Path.GetFullPath(RootPath is { Length: > 0 } given ? given : Directory.GetCurrentDirectory());
        if ((Files is { Length: > 0 } || Includes is { Length: > 0 }) && !Directory.Exists(root))
        {
            throw new ToolInputException($"project_context.root_path '{root}' is not a directory.");
        }

        var paths = new List<string>();
        foreach (var file in Files ?? [])
        {
            var path = Path.GetFullPath(file, root);
            paths.Add(File.Exists(path) ? path : throw new ToolInputException($"project_context.files: '{file}' does not exist (relative paths start at {root})."));
        }

        if (Includes is { Length: > 0 } includes)
        {
            var matcher = new Matcher(StringComparison.Ordinal);
            matcher.AddIncludePatterns(includes);
            matcher.AddExcludePatterns(AlwaysExcluded);
            matcher.AddExcludePatterns(Excludes ?? []);
            paths.AddRange(matcher.GetResultsInFullPath(root).Order(StringComparer.Ordinal));
        }

        var text = new StringBuilder();
        if (Text is { Length: > 0 } attached)
        {
            text.Append("<context>\n").Append(attached).Append("\n</context>\n");
        }

        var budget = MaxTotalBytes;
        var files = paths.Distinct(StringComparer.Ordinal).ToList();
        foreach (var path in files.Take(MaxFiles))
        {
            if (budget <= 0)
            {
                text.Append($"<!-- {files.Count - files.IndexOf(path)} more file(s) left out: the attachment is at its {MaxTotalBytes / 1024} KiB limit -->\n");
                break;
            }

            string? content;
            bool cut;
            try
            {
                (content, cut) = Read(path, Math.Min(MaxFileBytes, budget));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ToolInputException($"project_context: {Path.GetRelativePath(root, path)} cannot be read ({e.Message.TrimEnd('.')}).");
            }

            if (content is null)
            {
                continue;
            }

            budget -= Encoding.UTF8.GetByteCount(content);
            text.Append($"<file path=\"{Path.GetRelativePath(root, path)}\">\n").Append(content);
            text.Append(cut ? "\n[… cut here: the file is longer]\n" : "\n").Append("</file>\n");
        }

        if (files.Count > MaxFiles)
        {
            text.Append($"<!-- {files.Count - MaxFiles} more file(s) matched; at most {MaxFiles} are attached -->\n");
        }

        return text.Length == 0 ? "" : $"<project_context>\n{text}</project_context>";
    }

    /// <summary>A text file's first <paramref name="limit"/> bytes; null for a binary file (a NUL byte in what was read).</summary>
    private static (string? Content, bool Cut) Read(string path, int limit)
    {
        using var stream = File.OpenRead(path);
        var buffer = new byte[Math.Min(limit, stream.Length)];
        stream.ReadExactly(buffer);
        if (Array.IndexOf(buffer, (byte)0) >= 0)
        {
            return (null, false);
        }

        return (Encoding.UTF8.GetString(buffer), stream.Length > buffer.Length);
    }

    /// <summary>The prompt with the attachment after it.</summary>
    public static string Attach(string prompt, ProjectContext? context) =>
        context?.Render() is { Length: > 0 } attachment ? $"{prompt}\n\n{attachment}" : prompt;
}
