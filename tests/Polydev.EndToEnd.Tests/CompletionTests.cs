using System.Diagnostics;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests;

/// <summary>
/// Issue 14: <c>polydev completion bash|zsh|fish</c>, each script loaded by the real shell (scripts/test installs zsh
/// and fish), completing a verb, a sub-verb and an option's fixed values from the binary itself.
/// </summary>
public sealed class CompletionTests
{
    [Fact]
    public async Task Bash_completes_verbs_sub_verbs_and_option_values()
    {
        var script = await ScriptAsync("bash");
        string Complete(string line) => $"""
            COMP_LINE='{line}'; COMP_POINT=${"{"}#COMP_LINE{"}"}; read -ra COMP_WORDS <<< "$COMP_LINE"
            [[ "$COMP_LINE" == *' ' ]] && COMP_WORDS+=("")
            COMP_CWORD=$(( ${"{"}#COMP_WORDS[@]{"}"} - 1 )); _polydev_complete; printf '%s\n' "${"{"}COMPREPLY[@]{"}"}"; echo '--'
            """;
        var output = await ShellAsync("bash", "-c", $"source '{script}'\n{Complete("polydev ch")}\n{Complete("polydev chats ex")}\n{Complete("polydev run --provider ")}");

        Assert.Equal(["chats", "--", "export", "--", "anthropic", "google", "openai", "--"], Lines(output));
    }

    [Fact]
    public async Task Zsh_completes_verbs_sub_verbs_and_option_values()
    {
        var script = await ScriptAsync("zsh");
        Assert.Equal("", await ShellAsync("zsh", "-n", script));
        // compadd and compdef are the completion system's; here they print what would be offered.
        string Complete(string line, string prefix) => $"BUFFER='{line}'; CURSOR=${"{"}#BUFFER{"}"}; PREFIX='{prefix}'; _polydev; echo '=='";
        var output = await ShellAsync("zsh", "-c",
            $"compdef() {{ :; }}; compadd() {{ shift; print -l -- \"$@\" }}; source '{script}'\n{Complete("polydev chats ex", "ex")}\n{Complete("polydev run --provider g", "g")}");

        Assert.Equal(["export", "==", "google", "=="], Lines(output));
    }

    [Fact]
    public async Task Fish_completes_verbs_sub_verbs_and_option_values()
    {
        var script = await ScriptAsync("fish");
        var output = await ShellAsync("fish", "-c", $"source '{script}'; complete -C 'polydev chats ex'; echo '=='; complete -C 'polydev run --provider '");

        Assert.Equal(["export", "==", "anthropic", "google", "openai"], Lines(output));
    }

    private static async Task<string> ScriptAsync(string shell)
    {
        using var cli = new Cli("http://127.0.0.1:9");
        var script = Path.Combine(Path.GetTempPath(), $"polydev-completion-{Guid.NewGuid():N}.{shell}");
        await File.WriteAllTextAsync(script, (await cli.RunAsync("completion", shell)).Succeeded().Stdout);
        return script;
    }

    /// <summary>Runs the real shell with the polydev binary first on its PATH; returns stdout (stderr must be empty).</summary>
    private static async Task<string> ShellAsync(string shell, params string[] arguments)
    {
        var start = new ProcessStartInfo(shell) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PATH"] = AppContext.BaseDirectory + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["HOME"] = Directory.CreateTempSubdirectory("polydev-shell-").FullName;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{shell} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0 && (await stderr).Length == 0, $"{shell} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
