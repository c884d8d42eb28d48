using System.Diagnostics;

namespace Polydev.Client.Terminal;

/// <summary>
/// One line on stderr that is rewritten in place while something is waited for (a run's phases, with the seconds
/// ticking), and erased before anything else is printed. Only on a terminal: in a log or a pipe it prints nothing.
/// </summary>
internal sealed class StatusLine : IDisposable
{
    private readonly object _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer? _ticker;
    private string? _text;

    public StatusLine(bool enabled)
    {
        Enabled = enabled && !Console.IsErrorRedirected;
        _ticker = Enabled ? new Timer(_ => Redraw(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250)) : null;
    }

    public bool Enabled { get; }

    /// <summary>Shows <paramref name="text"/> (followed by the seconds since the line began) until the next call.</summary>
    public void Show(string text)
    {
        lock (_gate)
        {
            _text = text;
        }

        Redraw();
    }

    /// <summary>Erases the line; it stays away until <see cref="Show"/>.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            if (_text is null || !Enabled)
            {
                _text = null;
                return;
            }

            _text = null;
            Console.Error.Write("\r\u001b[K");
        }
    }

    private void Redraw()
    {
        lock (_gate)
        {
            if (_text is null || !Enabled)
            {
                return;
            }

            var line = $"{_text} … {_clock.Elapsed.TotalSeconds:0.0} s";
            var width = Console.IsErrorRedirected ? 200 : Math.Max(20, SafeWidth() - 1);
            Console.Error.Write("\r\u001b[K" + (line.Length > width ? line[..width] : line));
        }
    }

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    public void Dispose()
    {
        _ticker?.Dispose();
        Clear();
    }
}
