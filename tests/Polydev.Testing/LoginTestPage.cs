namespace Polydev.Testing;

/// <summary>
/// The page the login tests open in the sandbox's browser: it paints a known colour, turns green on a click, turns
/// blue on a key press, and keeps what was typed or pasted in a focused text area, so a test can read both through
/// the stream (colours) and through the clipboard (select all, copy). A transparent strip along its bottom edge shows,
/// third by third, the <c>pointer</c>, <c>text</c> and <c>wait</c> cursors, for the cursor-shape notices.
/// </summary>
public static class LoginTestPage
{
    public const string Start = "#ff0000";
    public const string Clicked = "#00ff00";
    public const string Keyed = "#0000ff";

    /// <summary>The height of the cursor strip at the bottom of the page, in CSS pixels.</summary>
    public const int CursorStripHeight = 60;

    /// <summary>The strip's cursors, left third to right third.</summary>
    public static IReadOnlyList<string> StripCursors { get; } = ["pointer", "text", "wait"];

    /// <summary>For latency: each key press swaps the whole page between two colours (<see cref="Start"/> and <see cref="Keyed"/>).</summary>
    public static string ToggleDataUrl => "data:text/html," + Uri.EscapeDataString($$"""
        <!doctype html><html><body style="margin:0;background:{{Start}};height:100vh">
        <script>
          let on = false;
          document.addEventListener('keydown', () => { on = !on; document.body.style.background = on ? '{{Keyed}}' : '{{Start}}'; });
        </script></body></html>
        """);

    /// <summary>For CPU and frame rate: the whole screen changes every frame (a moving gradient), as the worst case.</summary>
    public static string AnimatedDataUrl => "data:text/html," + Uri.EscapeDataString("""
        <!doctype html><html><body style="margin:0;height:100vh;overflow:hidden">
        <canvas id="c" style="width:100vw;height:100vh;display:block"></canvas>
        <script>
          const c = document.getElementById('c'); const g = c.getContext('2d');
          function draw(t) {
            c.width = innerWidth; c.height = innerHeight;
            const x = (t / 4) % c.width;
            const grad = g.createLinearGradient(x, 0, x + c.width / 2, c.height);
            grad.addColorStop(0, '#204080'); grad.addColorStop(0.5, '#f0c040'); grad.addColorStop(1, '#20a060');
            g.fillStyle = grad; g.fillRect(0, 0, c.width, c.height);
            g.fillStyle = '#fff'; g.font = '48px sans-serif'; g.fillText(String(Math.round(t)), 40, 80);
            requestAnimationFrame(draw);
          }
          requestAnimationFrame(draw);
        </script></body></html>
        """);

    public static string DataUrl => "data:text/html," + Uri.EscapeDataString($$"""
        <!doctype html><html><body style="margin:0;background:{{Start}};height:100vh">
        <textarea id="t" autofocus style="position:absolute;left:10px;top:10px;width:200px;height:40px"></textarea>
        <div style="position:fixed;left:0;right:0;bottom:0;height:{{CursorStripHeight}}px;display:flex">
          {{string.Concat(StripCursors.Select(c => $"<div style=\"flex:1;cursor:{c}\"></div>"))}}
        </div>
        <script>
          const t = document.getElementById('t');
          document.addEventListener('mousedown', e => { e.preventDefault(); document.body.style.background = '{{Clicked}}'; });
          document.addEventListener('keydown', () => { document.body.style.background = '{{Keyed}}'; });
          setInterval(() => { if (document.activeElement !== t) t.focus(); }, 200);
        </script></body></html>
        """);
}
