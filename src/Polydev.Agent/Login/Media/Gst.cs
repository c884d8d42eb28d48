using System.Runtime.InteropServices;

namespace Polydev.Agent.Login.Media;

/// <summary>The GStreamer 1.22 C API the login agent calls: pipelines, the bus, promises, SDP and data channels.</summary>
internal static unsafe partial class Gst
{
    private const string Core = "libgstreamer-1.0.so.0";
    private const string Sdp = "libgstsdp-1.0.so.0";
    private const string WebRtc = "libgstwebrtc-1.0.so.0";

    public const int StateNull = 1;
    public const int StateReady = 3;
    public const int StatePlaying = 4;

    public const int StateChangeFailure = 0;

    // GstMessageType flags.
    public const int MessageEos = 1 << 0;
    public const int MessageError = 1 << 1;
    public const int MessageWarning = 1 << 2;

    public const int PromiseReplied = 2;

    // GstWebRTCSDPType.
    public const int SdpOffer = 1;
    public const int SdpAnswer = 3;

    public const int SdpOk = 0;

    [LibraryImport(Core)]
    public static partial void gst_init(nint argc, nint argv);

    [LibraryImport(Core)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool gst_is_initialized();

    [LibraryImport(Core, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint gst_parse_launch(string description, out GError* error);

    [LibraryImport(Core, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint gst_bin_get_by_name(nint bin, string name);

    [LibraryImport(Core)]
    public static partial int gst_element_set_state(nint element, int state);

    [LibraryImport(Core)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool gst_element_sync_state_with_parent(nint element);

    [LibraryImport(Core)]
    public static partial nint gst_element_get_bus(nint element);

    [LibraryImport(Core)]
    public static partial nint gst_bus_timed_pop_filtered(nint bus, ulong timeoutNanoseconds, int types);

    [LibraryImport(Core)]
    public static partial void gst_message_parse_error(nint message, out GError* error, out nint debug);

    [LibraryImport(Core)]
    public static partial void gst_mini_object_unref(nint miniObject);

    [LibraryImport(Core)]
    public static partial void gst_object_unref(nint gstObject);

    [LibraryImport(Core)]
    public static partial nint gst_promise_new();

    [LibraryImport(Core)]
    public static partial int gst_promise_wait(nint promise);

    [LibraryImport(Core)]
    public static partial nint gst_promise_get_reply(nint promise);

    [LibraryImport(Core, StringMarshalling = StringMarshalling.Utf8)]
    public static partial GLib.GValue* gst_structure_get_value(nint structure, string field);

    [LibraryImport(Core)]
    public static partial nint gst_structure_to_string(nint structure);

    [LibraryImport(Core)]
    public static partial int gst_structure_n_fields(nint structure);

    [LibraryImport(Core)]
    public static partial nint gst_structure_nth_field_name(nint structure, uint index);

    [LibraryImport(Core, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool gst_structure_has_name(nint structure, string name);

    [LibraryImport(Core, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool gst_structure_get_double(nint structure, string field, out double value);

    [LibraryImport(Core, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool gst_structure_get_int(nint structure, string field, out int value);

    [LibraryImport(Core, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool gst_structure_get_int64(nint structure, string field, out long value);

    [LibraryImport(Core, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool gst_structure_get_uint(nint structure, string field, out uint value);

    [LibraryImport(Core, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool gst_structure_get_uint64(nint structure, string field, out ulong value);

    [LibraryImport(Core)]
    public static partial nuint gst_structure_get_type();

    [LibraryImport(Core)]
    public static partial nint gst_value_get_structure(GLib.GValue* value);

    [LibraryImport(Core, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void gst_util_set_object_arg(nint instance, string name, string value);

    [LibraryImport(Core, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint gst_structure_new_empty(string name);

    [LibraryImport(Core)]
    public static partial void gst_structure_free(nint structure);

    [LibraryImport(Core)]
    public static partial nint gst_event_new_custom(int type, nint structure);

    [LibraryImport(Core)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool gst_element_send_event(nint element, nint gstEvent);

    [LibraryImport(Sdp)]
    public static partial int gst_sdp_message_new_from_text(byte* text, out nint message);

    [LibraryImport(Sdp)]
    public static partial nint gst_sdp_message_as_text(nint message);

    [LibraryImport(WebRtc)]
    public static partial nint gst_webrtc_session_description_new(int type, nint sdp);

    [LibraryImport(WebRtc)]
    public static partial void gst_webrtc_session_description_free(nint description);

    [LibraryImport(WebRtc)]
    public static partial nuint gst_webrtc_session_description_get_type();

    [LibraryImport(WebRtc, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void gst_webrtc_data_channel_send_string(nint channel, string text);

    [LibraryImport(WebRtc)]
    public static partial void gst_webrtc_data_channel_send_data(nint channel, nint bytes);

    /// <summary>The SDP text of a <c>GstWebRTCSessionDescription</c> (<c>{ type; GstSDPMessage *sdp; }</c>).</summary>
    public static string SessionDescriptionText(nint description) =>
        GLib.TakeUtf8(gst_sdp_message_as_text(((SessionDescription*)description)->Sdp)) ?? "";

    /// <summary>Reads and frees a <c>GError</c>'s message.</summary>
    public static string TakeError(GError* error)
    {
        if (error is null)
        {
            return "unknown error";
        }

        string message = GLib.Utf8(error->Message) ?? "unknown error";
        g_error_free(error);
        return message;
    }

    [LibraryImport("libglib-2.0.so.0")]
    private static partial void g_error_free(GError* error);

    [StructLayout(LayoutKind.Sequential)]
    public struct GError
    {
        public uint Domain;
        public int Code;
        public nint Message;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SessionDescription
    {
        public int Type;
        public nint Sdp;
    }
}
