namespace Polydev.Testing;

/// <summary>
/// The page the login tests open in the sandbox's browser: it paints a known colour, turns green on a click, turns
/// blue on a key press, and keeps what was typed or pasted in a focused text area, so a test can read both through
/// the stream (colours) and through the clipboard (select all, copy).
/// </summary>
public static class LoginTestPage
{
    public const string Start = "#ff0000";
    public const string Clicked = "#00ff00";
    public const string Keyed = "#0000ff";

    public static string DataUrl => "data:text/html," + Uri.EscapeDataString($$"""
        <!doctype html><html><body style="margin:0;background:{{Start}};height:100vh">
        <textarea id="t" autofocus style="position:absolute;left:10px;top:10px;width:200px;height:40px"></textarea>
        <script>
          const t = document.getElementById('t');
          document.addEventListener('mousedown', e => { e.preventDefault(); document.body.style.background = '{{Clicked}}'; });
          document.addEventListener('keydown', () => { document.body.style.background = '{{Keyed}}'; });
          setInterval(() => { if (document.activeElement !== t) t.focus(); }, 200);
        </script></body></html>
        """);
}
