using System.Runtime.InteropServices;

namespace Polydev.Agent.Login.Media;

/// <summary>
/// The few GLib/GObject entry points the login agent needs to drive GStreamer: reference counting, signals and
/// <c>GValue</c>. Owned and small on purpose (issue 15): no managed binding of GStreamer is available that works under
/// NativeAOT, and the streaming needs a dozen calls, not a toolkit.
/// </summary>
internal static unsafe partial class GLib
{
    private const string GObjectLibrary = "libgobject-2.0.so.0";
    private const string GLibLibrary = "libglib-2.0.so.0";

    // Fundamental types are fixed numbers (G_TYPE_MAKE_FUNDAMENTAL(n) = n << 2), stable across GLib 2.x.
    public const nuint TypeUInt = 7 << 2;
    public const nuint TypeInt = 6 << 2;
    public const nuint TypeBoolean = 5 << 2;
    public const nuint TypeString = 16 << 2;
    public const nuint TypePointer = 17 << 2;
    public const nuint TypeBoxed = 18 << 2;
    public const nuint TypeObject = 20 << 2;

    // Marks a signal parameter whose value need not be copied; it must be masked off before g_value_init.
    private const nuint SignalTypeStaticScope = 1;

    [LibraryImport(GObjectLibrary)]
    public static partial nint g_object_ref(nint instance);

    [LibraryImport(GObjectLibrary)]
    public static partial void g_object_unref(nint instance);

    [LibraryImport(GObjectLibrary, StringMarshalling = StringMarshalling.Utf8)]
    public static partial ulong g_signal_connect_data(nint instance, string detailedSignal, nint handler, nint data, nint destroyData, int flags);

    [LibraryImport(GObjectLibrary, StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint g_signal_lookup(string name, nuint type);

    [LibraryImport(GObjectLibrary)]
    private static partial void g_signal_query(uint signalId, SignalQuery* query);

    [LibraryImport(GObjectLibrary)]
    private static partial void g_signal_emitv(GValue* instanceAndParams, uint signalId, uint detail, GValue* returnValue);

    [LibraryImport(GObjectLibrary)]
    public static partial GValue* g_value_init(GValue* value, nuint type);

    [LibraryImport(GObjectLibrary)]
    public static partial void g_value_unset(GValue* value);

    [LibraryImport(GObjectLibrary)]
    private static partial void g_value_set_object(GValue* value, nint instance);

    [LibraryImport(GObjectLibrary)]
    private static partial void g_value_set_boxed(GValue* value, nint boxed);

    [LibraryImport(GObjectLibrary)]
    private static partial void g_value_set_pointer(GValue* value, nint pointer);

    [LibraryImport(GObjectLibrary, StringMarshalling = StringMarshalling.Utf8)]
    private static partial void g_value_set_string(GValue* value, string? text);

    [LibraryImport(GObjectLibrary)]
    private static partial void g_value_set_uint(GValue* value, uint number);

    [LibraryImport(GObjectLibrary)]
    private static partial void g_value_set_int(GValue* value, int number);

    [LibraryImport(GObjectLibrary)]
    public static partial nint g_value_get_object(GValue* value);

    [LibraryImport(GObjectLibrary)]
    public static partial nint g_value_get_boxed(GValue* value);

    [LibraryImport(GObjectLibrary)]
    public static partial nint g_value_dup_object(GValue* value);

    [LibraryImport(GObjectLibrary)]
    private static partial nuint g_type_fundamental(nuint type);

    [LibraryImport(GLibLibrary)]
    public static partial void g_free(nint memory);

    [LibraryImport(GLibLibrary)]
    public static partial nint g_bytes_get_data(nint bytes, out nuint size);

    [LibraryImport(GLibLibrary)]
    public static partial nint g_bytes_new(byte* data, nuint size);

    [LibraryImport(GLibLibrary)]
    public static partial void g_bytes_unref(nint bytes);

    /// <summary>The GType of an instance: the first field of its class, which is the first field of the instance.</summary>
    public static nuint TypeOf(nint instance) => **(nuint**)instance;

    /// <summary>A NUL-terminated UTF-8 string owned by GLib, read without freeing it.</summary>
    public static string? Utf8(nint text) => text == 0 ? null : Marshal.PtrToStringUTF8(text);

    /// <summary>A NUL-terminated UTF-8 string GLib handed over, read and freed.</summary>
    public static string? TakeUtf8(nint text)
    {
        try
        {
            return Utf8(text);
        }
        finally
        {
            g_free(text);
        }
    }

    /// <summary>
    /// Emits an action signal (webrtcbin's <c>create-offer</c>, <c>add-ice-candidate</c>, …) through
    /// <c>g_signal_emitv</c>: the signal's own parameter types are read with <c>g_signal_query</c>, so each argument is
    /// boxed into a <c>GValue</c> of exactly the declared type. The variadic <c>g_signal_emit_by_name</c> is not
    /// called from managed code: variadic calls are not part of the platform's P/Invoke contract.
    /// </summary>
    /// <returns>The signal's object or boxed return value (a new reference the caller owns), or 0.</returns>
    public static nint Emit(nint instance, string signal, params ReadOnlySpan<SignalArgument> arguments)
    {
        uint id = g_signal_lookup(signal, TypeOf(instance));
        if (id == 0)
        {
            throw new InvalidOperationException($"GStreamer element has no signal '{signal}'.");
        }

        SignalQuery query;
        g_signal_query(id, &query);
        if (query.ParameterCount != arguments.Length)
        {
            throw new InvalidOperationException($"Signal '{signal}' takes {query.ParameterCount} arguments, not {arguments.Length}.");
        }

        int count = arguments.Length + 1;
        GValue* values = stackalloc GValue[count];
        new Span<GValue>(values, count).Clear();
        g_value_init(&values[0], TypeOf(instance));
        g_value_set_object(&values[0], instance);
        for (int i = 0; i < arguments.Length; i++)
        {
            nuint type = query.ParameterTypes[i] & ~SignalTypeStaticScope;
            g_value_init(&values[i + 1], type);
            arguments[i].Set(&values[i + 1], g_type_fundamental(type));
        }

        GValue result = default;
        nuint returnType = query.ReturnType & ~SignalTypeStaticScope;
        bool returns = returnType != 4; // G_TYPE_NONE = 1 << 2
        if (returns)
        {
            g_value_init(&result, returnType);
        }

        try
        {
            g_signal_emitv(values, id, 0, returns ? &result : null);
            if (!returns)
            {
                return 0;
            }

            return g_type_fundamental(returnType) switch
            {
                TypeObject => g_value_dup_object(&result),
                _ => 0,
            };
        }
        finally
        {
            for (int i = 0; i < count; i++)
            {
                g_value_unset(&values[i]);
            }

            if (returns)
            {
                g_value_unset(&result);
            }
        }
    }

    /// <summary>One argument of <see cref="Emit"/>: a pointer-sized handle, a string or a number.</summary>
    public readonly struct SignalArgument
    {
        private readonly nint _handle;
        private readonly string? _text;
        private readonly long _number;
        private readonly int _kind;

        private SignalArgument(nint handle, string? text, long number, int kind)
        {
            _handle = handle;
            _text = text;
            _number = number;
            _kind = kind;
        }

        public static implicit operator SignalArgument(nint handle) => new(handle, null, 0, 0);

        public static implicit operator SignalArgument(string? text) => new(0, text, 0, 1);

        public static implicit operator SignalArgument(uint number) => new(0, null, number, 2);

        public static implicit operator SignalArgument(int number) => new(0, null, number, 2);

        internal void Set(GValue* value, nuint fundamental)
        {
            switch (fundamental)
            {
                case TypeString when _kind is 1 or 0 && _handle == 0:
                    g_value_set_string(value, _text);
                    break;
                case TypeUInt when _kind == 2:
                    g_value_set_uint(value, (uint)_number);
                    break;
                case TypeInt when _kind == 2:
                    g_value_set_int(value, (int)_number);
                    break;
                case TypeObject when _kind == 0:
                    g_value_set_object(value, _handle);
                    break;
                case TypeBoxed when _kind == 0:
                    g_value_set_boxed(value, _handle);
                    break;
                case TypePointer when _kind == 0:
                    g_value_set_pointer(value, _handle);
                    break;
                default:
                    throw new InvalidOperationException($"A signal argument of fundamental type {fundamental} cannot take this value.");
            }
        }
    }

    /// <summary><c>GValue</c>: a type and two 8-byte data words.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct GValue
    {
        public nuint Type;
        public long Data0;
        public long Data1;
    }

    /// <summary><c>GSignalQuery</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SignalQuery
    {
        public uint SignalId;
        public nint SignalName;
        public nuint InstanceType;
        public int Flags;
        public nuint ReturnType;
        public uint ParameterCount;
        public nuint* ParameterTypes;
    }
}
