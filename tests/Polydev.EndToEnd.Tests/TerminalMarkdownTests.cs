using System.Diagnostics;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests;

/// <summary>
/// Issue 14: a stored answer reads as Markdown on a terminal (a real pseudo-terminal, through util-linux's
/// <c>script</c>), code highlighted; piped, it comes out as written.
/// </summary>
public sealed class TerminalMarkdownTests
{
    [Fact]
    public async Task Chats_show_styles_an_answer_on_a_terminal_and_leaves_it_as_written_in_a_pipe()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        using var cli = new Cli(server.Url);
        var password = Needles.Canary("password");
        await cli.SignupAsync($"terminal-{Guid.NewGuid():N}@example.com", password);
        var chatId = Guid.Parse((await cli.RunAsync("chats", "new", "Terminal", "--json")).Succeeded().Json().GetProperty("id").GetString()!);
        const string answer = "## Plan\n\nRun **this**:\n\n```python\nreturn \"hi\"  # done\n```";
        await OwnerRequests.PostAnswerAsync(server, await OwnerRequests.TokenAsync(cli), password, chatId, answer); // the CLI appends only the user's own

        var piped = (await cli.RunAsync("chats", "show", "Terminal")).Succeeded().Stdout;
        Assert.Contains(answer, piped, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", piped, StringComparison.Ordinal);

        var terminal = await OnATerminalAsync(cli, "chats show Terminal");
        Assert.Contains("\u001b[1mPlan\u001b[0m", terminal, StringComparison.Ordinal);
        Assert.Contains("Run \u001b[1mthis\u001b[0m:", terminal, StringComparison.Ordinal);
        Assert.Contains("\u001b[35mreturn\u001b[0m \u001b[32m\"hi\"\u001b[0m", terminal, StringComparison.Ordinal);
        Assert.DoesNotContain("**this**", terminal, StringComparison.Ordinal);
    }

    /// <summary>Runs <c>polydev ARGS</c> with a pseudo-terminal as its stdout (script -q -e -c … /dev/null) and returns what it wrote there.</summary>
    private static async Task<string> OnATerminalAsync(Cli cli, string arguments)
    {
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in (string[])["-q", "-e", "-c", $"polydev {arguments}", "/dev/null"])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PATH"] = AppContext.BaseDirectory + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["POLYDEV_HOME"] = cli.Home;
        start.Environment["POLYDEV_SERVER"] = cli.Server;
        start.Environment["POLYDEV_SESSION"] = cli.Session;
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {output}{await process.StandardError.ReadToEndAsync()}");
        return output.Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
