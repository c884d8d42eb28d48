using Polydev.Contracts.Login;

namespace Polydev.Agent.Login.Input;

/// <summary>
/// Injects the viewer's pointer, wheel and key events into the display with XTest, as if a local keyboard and mouse
/// had made them. A key the keyboard map lacks (a character from another layout) is bound, for the moment it is
/// typed, to one of the keycodes the map leaves empty. One instance per display, used from one thread: Xlib is not
/// thread-safe.
/// </summary>
internal sealed unsafe class InputInjector : IDisposable
{
    private const uint WheelUp = 4, WheelDown = 5, WheelLeft = 6, WheelRight = 7;
    private const uint ShiftL = 0xffe1, ShiftR = 0xffe2;

    private readonly nint _display;
    private readonly List<byte> _spareKeycodes = [];
    private readonly Dictionary<uint, byte> _bound = [];
    private int _nextSpare;
    private int _shiftsDown;

    private InputInjector(nint display)
    {
        _display = display;
        FindSpareKeycodes();
    }

    public static InputInjector Open(string display)
    {
        nint handle = X11.XOpenDisplay(display);
        return handle == 0 ? throw new InvalidOperationException($"The X display {display} cannot be opened for input.") : new InputInjector(handle);
    }

    /// <summary>Applies one input message; false when it is not an input this injector handles.</summary>
    public bool Apply(LoginInput input, int width, int height)
    {
        switch (input.T)
        {
            case LoginInputTypes.Move when input.X is int x && input.Y is int y:
                X11.XTestFakeMotionEvent(_display, -1, Math.Clamp(x, 0, width - 1), Math.Clamp(y, 0, height - 1), 0);
                break;
            case LoginInputTypes.Button when input.Button is >= 1 and <= 3 && input.Down is bool down:
                if (input.X is int bx && input.Y is int by)
                {
                    X11.XTestFakeMotionEvent(_display, -1, Math.Clamp(bx, 0, width - 1), Math.Clamp(by, 0, height - 1), 0);
                }

                X11.XTestFakeButtonEvent(_display, (uint)input.Button.Value, down ? 1 : 0, 0);
                break;
            case LoginInputTypes.Wheel:
                Scroll(input.Dy ?? 0, WheelDown, WheelUp);
                Scroll(input.Dx ?? 0, WheelRight, WheelLeft);
                break;
            case LoginInputTypes.Key when input.Down is bool pressed && Keysyms.From(input.Key, input.Code) is uint keysym:
                if (Keycode(keysym) is byte keycode)
                {
                    Key(keysym, keycode, pressed);
                }

                break;
            default:
                return false;
        }

        X11.XFlush(_display);
        return true;
    }

    /// <summary>
    /// One key. The viewer sends the character it typed ('!'), not always the Shift that made it (a browser's
    /// synthesised keys, other layouts): a character on the keycode's shifted level is typed with Shift held for it.
    /// </summary>
    private void Key(uint keysym, byte keycode, bool pressed)
    {
        if (keysym is ShiftL or ShiftR)
        {
            _shiftsDown = Math.Max(0, _shiftsDown + (pressed ? 1 : -1));
        }

        bool shifted = pressed && _shiftsDown == 0 && X11.XkbKeycodeToKeysym(_display, keycode, 0, 0) != keysym
            && X11.XkbKeycodeToKeysym(_display, keycode, 0, 1) == keysym;
        byte shift = shifted ? X11.XKeysymToKeycode(_display, ShiftL) : (byte)0;
        if (shift != 0)
        {
            X11.XTestFakeKeyEvent(_display, shift, 1, 0);
        }

        X11.XTestFakeKeyEvent(_display, keycode, pressed ? 1 : 0, 0);
        if (shift != 0)
        {
            X11.XTestFakeKeyEvent(_display, shift, 0, 0);
        }
    }

    /// <summary>Presses and releases a chord such as Ctrl+V (keysyms in press order).</summary>
    public void Chord(params ReadOnlySpan<uint> keysyms)
    {
        Span<byte> codes = stackalloc byte[keysyms.Length];
        for (int i = 0; i < keysyms.Length; i++)
        {
            codes[i] = Keycode(keysyms[i]) ?? 0;
            X11.XTestFakeKeyEvent(_display, codes[i], 1, 0);
        }

        for (int i = codes.Length - 1; i >= 0; i--)
        {
            X11.XTestFakeKeyEvent(_display, codes[i], 0, 0);
        }

        X11.XFlush(_display);
    }

    private void Scroll(int steps, uint positive, uint negative)
    {
        uint button = steps > 0 ? positive : negative;
        for (int i = 0; i < Math.Min(Math.Abs(steps), 20); i++)
        {
            X11.XTestFakeButtonEvent(_display, button, 1, 0);
            X11.XTestFakeButtonEvent(_display, button, 0, 0);
        }
    }

    private byte? Keycode(uint keysym)
    {
        byte code = X11.XKeysymToKeycode(_display, keysym);
        if (code != 0)
        {
            return code;
        }

        if (_bound.TryGetValue(keysym, out byte bound))
        {
            return bound;
        }

        if (_spareKeycodes.Count == 0)
        {
            return null;
        }

        // Round-robin over the empty keycodes: a keycode is rebound only after every other spare was used since.
        byte spare = _spareKeycodes[_nextSpare++ % _spareKeycodes.Count];
        foreach (var (sym, kc) in _bound.Where(b => b.Value == spare).ToList())
        {
            _bound.Remove(sym);
        }

        nuint* syms = stackalloc nuint[2] { keysym, keysym };
        X11.XChangeKeyboardMapping(_display, spare, 2, syms, 1);
        X11.XSync(_display, 0);
        _bound[keysym] = spare;
        return spare;
    }

    private void FindSpareKeycodes()
    {
        X11.XDisplayKeycodes(_display, out int min, out int max);
        nuint* map = X11.XGetKeyboardMapping(_display, (byte)min, max - min + 1, out int perCode);
        if (map is null)
        {
            return;
        }

        try
        {
            for (int code = max; code >= min && _spareKeycodes.Count < 8; code--)
            {
                bool empty = true;
                for (int j = 0; j < perCode; j++)
                {
                    empty &= map[(code - min) * perCode + j] == 0;
                }

                if (empty)
                {
                    _spareKeycodes.Add((byte)code);
                }
            }
        }
        finally
        {
            X11.XFree(map);
        }
    }

    public void Dispose() => X11.XCloseDisplay(_display);
}
