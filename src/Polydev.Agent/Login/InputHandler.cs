using System.Text.Json;
using Polydev.Agent.Login.Cursors;
using Polydev.Agent.Login.Desktop;
using Polydev.Agent.Login.Input;
using Polydev.Agent.Login.Media;
using Polydev.Contracts.Login;

namespace Polydev.Agent.Login;

/// <summary>
/// The viewer's messages on the stream's data channel: pointer, wheel and keys go to XTest; paste fills the remote
/// clipboard and presses Ctrl+V; copy (asked for, or after the viewer's Ctrl+C or Ctrl+X) sends the clipboard back;
/// resize moves the browser window and the capture and reports the size the screen really took. The pointer's shape
/// goes the other way: the viewer is told its CSS name whenever it changes, and once the channel opens.
/// </summary>
internal sealed class InputHandler(RemoteDesktop desktop, DesktopSettings settings, InputInjector injector, Clipboard clipboard, WebRtcStream stream)
{
    private const uint ControlL = 0xffe3;
    private const uint LetterV = 'v';

    private bool _controlDown;
    private bool _open;
    private string _cursor = CssCursors.Default;

    public async Task HandleAsync(string text, CancellationToken cancellationToken)
    {
        LoginInput? input;
        try
        {
            input = JsonSerializer.Deserialize(text, LoginJsonContext.Default.LoginInput);
        }
        catch (JsonException)
        {
            return;
        }

        if (input is null)
        {
            return;
        }

        switch (input.T)
        {
            case LoginInputTypes.Paste when input.Text is { } paste:
                await clipboard.SetAsync(paste, cancellationToken);
                injector.Chord(ControlL, LetterV);
                break;
            case LoginInputTypes.Copy:
                await SendClipboardAsync(cancellationToken);
                break;
            case LoginInputTypes.Resize when input.Width is int width && input.Height is int height:
                desktop.Resize(settings, width, height);
                stream.Resize(desktop.Width, desktop.Height);
                SendSize();
                break;
            default:
                bool copying = input.T == LoginInputTypes.Key && input.Down == true && _controlDown && input.Key is "c" or "x" or "C" or "X";
                if (input.T == LoginInputTypes.Key && input.Key == "Control")
                {
                    _controlDown = input.Down == true;
                }

                injector.Apply(input, desktop.Width, desktop.Height);
                if (copying)
                {
                    // The page copies on the key press; give it a moment, then hand the viewer what it copied.
                    await Task.Delay(150, cancellationToken);
                    await SendClipboardAsync(cancellationToken);
                }

                break;
        }
    }

    /// <summary>The input channel opened: the viewer learns the screen's size and the pointer's shape as they are now.</summary>
    public void Opened()
    {
        _open = true;
        SendSize();
        if (_cursor != CssCursors.Default)
        {
            SendCursor();
        }
    }

    /// <summary>The pointer took another shape; told to the viewer once the channel is open (a message before would be lost).</summary>
    public void CursorChanged(string css)
    {
        _cursor = css;
        if (_open)
        {
            SendCursor();
        }
    }

    public void SendSize() => Send(new LoginInput { T = LoginInputTypes.Size, Width = desktop.Width, Height = desktop.Height });

    private void SendCursor() => Send(new LoginInput { T = LoginInputTypes.Cursor, Cursor = _cursor });

    private async Task SendClipboardAsync(CancellationToken cancellationToken)
    {
        if (await clipboard.GetAsync(cancellationToken) is { } text)
        {
            Send(new LoginInput { T = LoginInputTypes.Clipboard, Text = text });
        }
    }

    private void Send(LoginInput notice) => stream.SendInputMessage(JsonSerializer.Serialize(notice, LoginJsonContext.Default.LoginInput));
}
