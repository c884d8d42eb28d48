using System.Diagnostics;

namespace Polydev.Agent.Login.Input;

/// <summary>
/// The display's CLIPBOARD selection, through <c>xclip</c>: owning an X selection means answering every request for
/// it for as long as it is held, which xclip's background process does and a short-lived call could not.
/// </summary>
internal sealed class Clipboard(string display)
{
    public const int MaxLength = 1 << 20;

    public async Task SetAsync(string text, CancellationToken cancellationToken)
    {
        var kept = text[..Math.Min(text.Length, MaxLength)];
        using (var xclip = Start(["-selection", "clipboard", "-in"]))
        {
            await xclip.StandardInput.WriteAsync(kept.AsMemory(), cancellationToken);
            xclip.StandardInput.Close();
            await xclip.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }

        // xclip's parent exits once its child serves the selection, which it may not own yet: a paste (Ctrl+V) sent now
        // reads the clipboard before it and pastes nothing. Read it back until it holds the text (about 1 s at most).
        for (var attempt = 0; attempt < 20 && await GetAsync(cancellationToken) != kept; attempt++)
        {
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>The clipboard's text, or null when it holds none.</summary>
    public async Task<string?> GetAsync(CancellationToken cancellationToken)
    {
        using var xclip = Start(["-selection", "clipboard", "-out"]);
        xclip.StandardInput.Close();
        var buffer = new char[MaxLength];
        int read = await xclip.StandardOutput.ReadBlockAsync(buffer, cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        await xclip.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        return xclip.ExitCode == 0 ? new string(buffer, 0, read) : null;
    }

    private Process Start(string[] arguments)
    {
        var start = new ProcessStartInfo("xclip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DISPLAY"] = display;
        return Process.Start(start) ?? throw new InvalidOperationException("xclip could not be started.");
    }
}
