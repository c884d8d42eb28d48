using System.Threading.Channels;
using Polydev.Agent.Login.Input;

namespace Polydev.Agent.Login.Cursors;

/// <summary>What the cursor watcher reports, in order.</summary>
internal abstract record CursorEvent
{
    /// <summary>The pointer took another shape: its CSS name.</summary>
    public sealed record Changed(string Css) : CursorEvent;

    /// <summary>The shape cannot be followed, or only in part (no XFixes, no cursor theme): why, in a sentence for stderr.</summary>
    public sealed record Unavailable(string Reason) : CursorEvent;
}

/// <summary>
/// Follows the pointer's shape on the display, since the stream is captured without the pointer and the viewer draws
/// its own. A thread of its own, with its own X connection (an Xlib connection is used from one thread only), asks
/// XFixes for the displayed cursor every 100 ms; when its serial changed, the image is named by its pixels
/// (<see cref="CursorShapes"/>), and only a change of name is queued. Polling costs one round trip and a cursor's
/// few kilobytes ten times a second, and needs no event loop beside the session's.
/// </summary>
internal sealed unsafe class CursorWatcher : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly Channel<CursorEvent> _events = Channel.CreateUnbounded<CursorEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly string _display;
    private readonly Thread _thread;

    private CursorWatcher(string display)
    {
        _display = display;
        _thread = new Thread(Run) { IsBackground = true, Name = "cursor-watcher" };
    }

    /// <summary>The pointer's shape each time it changes (from <c>default</c> on), or why it cannot be followed; completes when the watcher stops.</summary>
    public ChannelReader<CursorEvent> Events => _events.Reader;

    public static CursorWatcher Start(string display)
    {
        var watcher = new CursorWatcher(display);
        watcher._thread.Start();
        return watcher;
    }

    private void Run()
    {
        try
        {
            Watch();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _events.Writer.TryWrite(new CursorEvent.Unavailable($"the pointer's shape is not followed: {e.Message}"));
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    private void Watch()
    {
        nint display = X11.XOpenDisplay(_display);
        if (display == 0)
        {
            return;
        }

        try
        {
            if (!XFixes.XFixesQueryExtension(display, out _, out _))
            {
                _events.Writer.TryWrite(new CursorEvent.Unavailable("the pointer's shape is not followed: the X server has no XFixes."));
                return;
            }

            var shapes = CursorShapes.LoadTheme(display);
            if (shapes.Count == 0)
            {
                _events.Writer.TryWrite(new CursorEvent.Unavailable("no cursor theme was found (libXcursor, Adwaita): the pointer shows as default or none only."));
            }

            string current = CssCursors.Default;
            nuint serial = 0;
            uint[] pixels = [];
            while (!_stop.Token.WaitHandle.WaitOne(Interval))
            {
                XFixes.CursorImage* image = XFixes.XFixesGetCursorImage(display);
                if (image is null)
                {
                    continue;
                }

                try
                {
                    if (image->Serial == serial)
                    {
                        continue;
                    }

                    serial = image->Serial;
                    int count = image->Width * image->Height;
                    if (pixels.Length < count)
                    {
                        pixels = new uint[count];
                    }

                    // XFixes hands each 32-bit pixel in an unsigned long.
                    for (int i = 0; i < count; i++)
                    {
                        pixels[i] = (uint)image->Pixels[i];
                    }

                    string name = shapes.NameOf(image->Width, image->Height, image->HotX, image->HotY, pixels.AsSpan(0, count));
                    if (name != current)
                    {
                        current = name;
                        _events.Writer.TryWrite(new CursorEvent.Changed(name));
                    }
                }
                finally
                {
                    X11.XFree(image);
                }
            }
        }
        finally
        {
            X11.XCloseDisplay(display);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        if (_thread.Join(TimeSpan.FromSeconds(1)))
        {
            _stop.Dispose();
        }
    }
}
