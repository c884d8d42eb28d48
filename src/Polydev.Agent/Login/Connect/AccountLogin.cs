using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Polydev.Agent.Protocol;
using Polydev.Contracts.Login;
using Polydev.Crypto;

namespace Polydev.Agent.Login.Connect;

/// <summary>How one login attempt ended: the agent's exit reason and the sentence the viewer shows.</summary>
internal sealed record AccountLoginEnd(AgentExitReason Reason, string Words);

/// <summary>
/// Connects a provider account inside a login session: runs the CLI's own login with the session's Chromium as its
/// browser (its <c>localhost</c> callback lands in this sandbox, where the browser is), waits for the credential file
/// the CLI writes, checks its shape, seals it to the user's public key, tagged under the opening's proof key
/// (<see cref="CredentialCapture"/>), and sends it to the server, which keeps it for the user's client. The session
/// then ends at once and its sandbox is destroyed.
/// </summary>
internal sealed class AccountLogin(LoginConnect connect, ProviderLogin login, string home, TextWriter stderr)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    /// <summary>A file that stays valid this long while the CLI runs on is final (some CLIs go on after writing it).</summary>
    private static readonly TimeSpan Settled = TimeSpan.FromSeconds(2);

    /// <summary>Runs the CLI's login to its end; the result goes to <paramref name="ended"/>.</summary>
    public async Task RunAsync(IReadOnlyDictionary<string, string> environment, AgentChannel channel, Action<AccountLoginEnd> ended, CancellationToken cancellationToken)
    {
        AccountLoginEnd end;
        try
        {
            end = await LoginAsync(environment, channel, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception e) when (e is Win32Exception or IOException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"polydev-agent: the {login.Provider} login could not run: {e.GetType().Name}");
            end = new AccountLoginEnd(AgentExitReason.LoginFailed, $"The {Display} login could not start.");
        }

        ended(end);
    }

    private string Display => Polydev.Contracts.Providers.CliName(login.Provider);

    private string CredentialPath => Path.Combine(home, login.CredentialFile);

    private async Task<AccountLoginEnd> LoginAsync(IReadOnlyDictionary<string, string> environment, AgentChannel channel, CancellationToken cancellationToken)
    {
        using Process process = Start(environment);
        using CancellationTokenRegistration kill = cancellationToken.Register(() => KillTree(process));
        _ = Drain(process.StandardOutput);
        Task<string> errors = process.StandardError.ReadToEndAsync(cancellationToken);
        string? lastContent = null;
        long lastChanged = 0;
        string? problem = null;
        // A CLI that rewrites its file as it exits may leave it empty (Gemini CLI does not wait for that write): the last
        // content that had the shape stands.
        (string Content, CredentialSummary Summary)? lastValid = null;
        while (true)
        {
            await Task.Delay(Poll, cancellationToken);
            bool exited = process.HasExited;
            string? content = Read();
            if (content != lastContent)
            {
                lastContent = content;
                lastChanged = Environment.TickCount64;
            }

            CredentialSummary? summary = content is null ? null : CredentialFileShape.Check(login.Provider, content, home, out problem);
            if (summary is not null)
            {
                lastValid = (content!, summary);
            }

            bool settled = exited || TimeSpan.FromMilliseconds(Environment.TickCount64 - lastChanged) >= Settled;
            if (summary is not null && settled)
            {
                KillTree(process);
                await SendAsync(channel, content!, summary);
                return new AccountLoginEnd(AgentExitReason.Connected,
                    summary.Account is { } account ? $"Connected {Display} as {account}." : $"Connected {Display}.");
            }

            if (exited && (content is null || summary is null))
            {
                // The CLI may have written nothing yet when it exits; one last look after its file was flushed.
                await Task.Delay(Poll, cancellationToken);
                content = Read();
                if (content is not null && CredentialFileShape.Check(login.Provider, content, home, out problem) is { } late)
                {
                    lastValid = (content, late);
                }

                if (lastValid is { } valid)
                {
                    await SendAsync(channel, valid.Content, valid.Summary);
                    return new AccountLoginEnd(AgentExitReason.Connected, valid.Summary.Account is { } account ? $"Connected {Display} as {account}." : $"Connected {Display}.");
                }

                string tail = Tail(await errors.WaitAsync(TimeSpan.FromSeconds(2), cancellationToken));
                if (content is not null)
                {
                    await stderr.WriteLineAsync($"polydev-agent: the {login.Provider} credential file was refused: {problem}.");
                    return new AccountLoginEnd(AgentExitReason.CredentialRefused,
                        $"{Display} wrote a credential Polydev cannot use ({problem}); nothing was stored.");
                }

                await stderr.WriteLineAsync($"polydev-agent: the {login.Provider} login exited with {process.ExitCode} without a credential.");
                return new AccountLoginEnd(AgentExitReason.LoginFailed,
                    $"The {Display} sign-in ended without a credential{(tail.Length > 0 ? ": " + tail : ".")}");
            }
        }
    }

    private async Task SendAsync(AgentChannel channel, string content, CredentialSummary summary)
    {
        var captured = new LoginCapturedCredential
        {
            Provider = login.Provider,
            File = content,
            Account = summary.Account,
            ExpiresAt = summary.ExpiresAt,
            Refreshable = summary.Refreshable,
        };
        byte[] plaintext = JsonSerializer.SerializeToUtf8Bytes(captured, LoginJsonContext.Default.LoginCapturedCredential);
        try
        {
            await channel.SendCredentialAsync(CredentialCapture.Seal(connect.RecipientPublicKey, connect.ProofKey, plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        // Nothing of the credential stays behind in a sandbox that is about to be destroyed anyway.
        TryDelete(CredentialPath);
    }

    private Process Start(IReadOnlyDictionary<string, string> environment)
    {
        foreach (var (relativePath, content) in login.Files)
        {
            string path = Path.Combine(home, relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }

        var start = new ProcessStartInfo(login.Executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = home,
        };
        foreach (string argument in login.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        foreach (var (name, value) in login.Environment)
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start) ?? throw new Win32Exception();
        if (login.Stdin is { } stdin)
        {
            _ = Feed(process, stdin);
        }
        else
        {
            // A login that reads a pasted code would wait on stdin; this flow never pastes one.
            process.StandardInput.Close();
        }

        return process;
    }

    private static async Task Feed(Process process, string text)
    {
        try
        {
            await process.StandardInput.WriteAsync(text);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
    }

    private static async Task Drain(StreamReader reader)
    {
        try
        {
            char[] buffer = new char[4096];
            while (await reader.ReadAsync(buffer) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }

    private string? Read()
    {
        try
        {
            return File.Exists(CredentialPath) ? File.ReadAllText(CredentialPath, Encoding.UTF8) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The last line of the CLI's stderr, clipped: what the viewer is told about a failed sign-in.</summary>
    private static string Tail(string text)
    {
        string last = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        return last.Length > 200 ? last[..200] + "…" : last;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
        }
    }
}
