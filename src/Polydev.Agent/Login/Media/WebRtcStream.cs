using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;

namespace Polydev.Agent.Login.Media;

/// <summary>What the stream reports, in the order GStreamer's threads raised it.</summary>
internal abstract record StreamEvent
{
    public sealed record Offer(string Sdp) : StreamEvent;

    public sealed record Candidate(uint MLineIndex, string Text) : StreamEvent;

    public sealed record InputOpened : StreamEvent;

    public sealed record InputMessage(string Text) : StreamEvent;

    public sealed record Failed(string Reason) : StreamEvent;
}

/// <summary>
/// One WebRTC stream of the screen: a GStreamer pipeline ending in <c>webrtcbin</c>, which offers (the agent has the
/// media, so it is the offerer), gathers ICE candidates through TURN, and carries an ordered data channel named
/// <c>input</c> for the viewer's pointer, keys and clipboard. GStreamer raises its signals on its own threads; each
/// callback only queues a <see cref="StreamEvent"/>, so no managed work ever blocks a streaming thread.
/// </summary>
internal sealed unsafe class WebRtcStream : IDisposable
{
    private readonly Channel<StreamEvent> _events = Channel.CreateUnbounded<StreamEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly StreamSettings _settings;
    private GCHandle _self;
    private nint _pipeline;
    private nint _webrtc;
    private nint _input;
    private nint _encoder;
    private Thread? _busWatcher;
    private volatile bool _disposed;
    private readonly Lock _offering = new();

    private WebRtcStream(StreamSettings settings) => _settings = settings;

    public ChannelReader<StreamEvent> Events => _events.Reader;

    public StreamSettings Settings => _settings;

    /// <summary>Builds the pipeline and sets it playing; the offer follows as an event once webrtcbin asks to negotiate.</summary>
    /// <exception cref="InvalidOperationException">GStreamer refused the pipeline (a missing plugin, say); the message says which part.</exception>
    public static WebRtcStream Start(StreamSettings settings)
    {
        GStreamer.EnsureInitialized();
        var stream = new WebRtcStream(settings);
        try
        {
            stream.Build();
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private void Build()
    {
        _pipeline = Gst.gst_parse_launch(_settings.Pipeline(), out Gst.GError* error);
        if (_pipeline == 0 || error is not null)
        {
            throw new InvalidOperationException($"GStreamer refused the stream's pipeline: {Gst.TakeError(error)}");
        }

        _webrtc = Gst.gst_bin_get_by_name(_pipeline, "webrtc");
        _encoder = Gst.gst_bin_get_by_name(_pipeline, "encoder");
        if (_settings.RelayOnly)
        {
            Gst.gst_util_set_object_arg(_webrtc, "ice-transport-policy", "relay");
        }

        foreach (string turn in _settings.TurnServers)
        {
            GLib.Emit(_webrtc, "add-turn-server", turn);
        }

        _self = GCHandle.Alloc(this);
        nint self = GCHandle.ToIntPtr(_self);
        GLib.g_signal_connect_data(_webrtc, "on-negotiation-needed", (nint)(delegate* unmanaged[Cdecl]<nint, nint, void>)&OnNegotiationNeeded, self, 0, 0);
        GLib.g_signal_connect_data(_webrtc, "on-ice-candidate", (nint)(delegate* unmanaged[Cdecl]<nint, uint, nint, nint, void>)&OnIceCandidate, self, 0, 0);

        // webrtcbin makes data channels only once it is READY; made before PLAYING, the channel is in the first offer.
        if (Gst.gst_element_set_state(_pipeline, Gst.StateReady) == Gst.StateChangeFailure)
        {
            throw new InvalidOperationException("The stream's pipeline could not get ready.");
        }

        // NACK with retransmission: a packet lost on the way is sent again instead of freezing the picture until the next
        // key frame (the viewer's picture-loss reports still ask the encoder for one when a retransmission comes too late).
        nint transceiver = GLib.Emit(_webrtc, "get-transceiver", 0);
        if (transceiver != 0)
        {
            Gst.gst_util_set_object_arg(transceiver, "do-nack", "true");
            Gst.gst_object_unref(transceiver);
        }

        _input = GLib.Emit(_webrtc, "create-data-channel", "input", (nint)0);
        if (_input == 0)
        {
            throw new InvalidOperationException("webrtcbin did not create the input data channel.");
        }

        GLib.g_signal_connect_data(_input, "on-open", (nint)(delegate* unmanaged[Cdecl]<nint, nint, void>)&OnInputOpen, self, 0, 0);
        GLib.g_signal_connect_data(_input, "on-message-string", (nint)(delegate* unmanaged[Cdecl]<nint, nint, nint, void>)&OnInputString, self, 0, 0);

        if (Gst.gst_element_set_state(_pipeline, Gst.StatePlaying) == Gst.StateChangeFailure)
        {
            throw new InvalidOperationException("The stream's pipeline could not start (is the X display up?).");
        }

        _busWatcher = new Thread(WatchBus) { IsBackground = true, Name = "gst-bus" };
        _busWatcher.Start();
    }

    /// <summary>Applies the viewer's answer.</summary>
    /// <exception cref="FormatException">The text is not SDP GStreamer can parse.</exception>
    public void SetAnswer(string sdp)
    {
        byte[] text = Encoding.UTF8.GetBytes(sdp + "\0");
        nint message;
        fixed (byte* p = text)
        {
            if (Gst.gst_sdp_message_new_from_text(p, out message) != Gst.SdpOk || message == 0)
            {
                throw new FormatException("The answer is not valid SDP.");
            }
        }

        nint description = Gst.gst_webrtc_session_description_new(Gst.SdpAnswer, message);
        nint promise = Gst.gst_promise_new();
        try
        {
            GLib.Emit(_webrtc, "set-remote-description", description, promise);
            Gst.gst_promise_wait(promise);
        }
        finally
        {
            Gst.gst_mini_object_unref(promise);
            Gst.gst_webrtc_session_description_free(description);
        }
    }

    public void AddRemoteCandidate(uint mLineIndex, string candidate) => GLib.Emit(_webrtc, "add-ice-candidate", mLineIndex, candidate);

    /// <summary>Sends a text message to the viewer on the input channel (clipboard contents, cursor shape).</summary>
    public void SendInputMessage(string text)
    {
        if (!_disposed && _input != 0)
        {
            Gst.gst_webrtc_data_channel_send_string(_input, text);
        }
    }

    /// <summary>
    /// Captures another rectangle of the screen: the source is stopped, given its new bounds and started again, and the
    /// new size flows down to the encoder, which starts the new size with a key frame the browser decodes at once.
    /// </summary>
    public void Resize(int width, int height)
    {
        nint screen = Gst.gst_bin_get_by_name(_pipeline, "screen");
        try
        {
            Gst.gst_element_set_state(screen, Gst.StateNull);
            Gst.gst_util_set_object_arg(screen, "endx", (width - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Gst.gst_util_set_object_arg(screen, "endy", (height - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Gst.gst_element_sync_state_with_parent(screen);
        }
        finally
        {
            Gst.gst_object_unref(screen);
        }
    }

    /// <summary>
    /// Sets the encoder's bitrate, clamped to what a login screen needs, while the stream plays: vp8enc applies a new
    /// <c>target-bitrate</c> to the running encoder (<c>vpx_codec_enc_config_set</c>), x264enc marks itself for
    /// <c>x264_encoder_reconfig</c> before its next frame. Neither restarts the stream or forces a key frame.
    /// </summary>
    public void SetBitrate(int kbps)
    {
        var (property, value) = _settings.BitrateProperty(Math.Clamp(kbps, StreamSettings.MinBitrateKbps, StreamSettings.MaxBitrateKbps));
        Gst.gst_util_set_object_arg(_encoder, property, value);
    }

    /// <summary>What webrtcbin knows about the video sent and the viewer's receiver reports; null when it did not answer.</summary>
    public SenderStatistics? ReadStatistics() => WithStatistics<SenderStatistics?>(static stats => SenderStatistics.Read(stats));

    /// <summary>webrtcbin's statistics as GStreamer serialises them (<c>get-stats</c>): for diagnostics, such as a test's failure.</summary>
    public string Statistics() => WithStatistics(static stats => GLib.TakeUtf8(Gst.gst_structure_to_string(stats))) ?? "";

    private T? WithStatistics<T>(Func<nint, T> read)
    {
        nint promise = Gst.gst_promise_new();
        try
        {
            GLib.Emit(_webrtc, "get-stats", (nint)0, promise);
            if (Gst.gst_promise_wait(promise) != Gst.PromiseReplied)
            {
                return default;
            }

            // The reply belongs to the promise: read it before the promise goes.
            nint reply = Gst.gst_promise_get_reply(promise);
            return reply == 0 ? default : read(reply);
        }
        finally
        {
            Gst.gst_mini_object_unref(promise);
        }
    }

    private void CreateOffer()
    {
        // On a pool thread: a session that ends at once (a login that failed before the viewer answered) may be disposing
        // the stream right now; the offer is made under the lock Dispose takes before it frees the elements.
        lock (_offering)
        {
            if (!_disposed)
            {
                CreateOfferLocked();
            }
        }
    }

    private void CreateOfferLocked()
    {
        nint promise = Gst.gst_promise_new();
        try
        {
            GLib.Emit(_webrtc, "create-offer", (nint)0, promise);
            if (Gst.gst_promise_wait(promise) != Gst.PromiseReplied)
            {
                _events.Writer.TryWrite(new StreamEvent.Failed("webrtcbin did not create an offer."));
                return;
            }

            nint reply = Gst.gst_promise_get_reply(promise);
            GLib.GValue* value = reply == 0 ? null : Gst.gst_structure_get_value(reply, "offer");
            nint offer = value is null ? 0 : GLib.g_value_get_boxed(value);
            if (offer == 0)
            {
                _events.Writer.TryWrite(new StreamEvent.Failed("webrtcbin's offer was empty."));
                return;
            }

            // Setting the local description starts ICE gathering, whose first candidate may be queued at once: the offer
            // is queued first, so the viewer never gets a candidate before the offer it belongs to.
            _events.Writer.TryWrite(new StreamEvent.Offer(Gst.SessionDescriptionText(offer)));
            GLib.Emit(_webrtc, "set-local-description", offer, (nint)0);
        }
        finally
        {
            Gst.gst_mini_object_unref(promise);
        }
    }

    private void WatchBus()
    {
        nint bus = Gst.gst_element_get_bus(_pipeline);
        try
        {
            while (!_disposed)
            {
                nint message = Gst.gst_bus_timed_pop_filtered(bus, 200_000_000, Gst.MessageError | Gst.MessageEos);
                if (message == 0)
                {
                    continue;
                }

                Gst.gst_message_parse_error(message, out Gst.GError* error, out nint debug);
                GLib.g_free(debug);
                Gst.gst_mini_object_unref(message);
                _events.Writer.TryWrite(new StreamEvent.Failed($"the stream's pipeline stopped: {Gst.TakeError(error)}"));
                return;
            }
        }
        finally
        {
            Gst.gst_object_unref(bus);
        }
    }

    private static WebRtcStream? From(nint self) => GCHandle.FromIntPtr(self).Target as WebRtcStream;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnNegotiationNeeded(nint element, nint self)
    {
        // create-offer's promise is answered on webrtcbin's own thread, which is this one: wait for it elsewhere.
        if (From(self) is { } stream)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.CreateOffer(), stream, preferLocal: false);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnIceCandidate(nint element, uint mLineIndex, nint candidate, nint self) =>
        From(self)?._events.Writer.TryWrite(new StreamEvent.Candidate(mLineIndex, GLib.Utf8(candidate) ?? ""));

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnInputOpen(nint channel, nint self) => From(self)?._events.Writer.TryWrite(new StreamEvent.InputOpened());

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnInputString(nint channel, nint text, nint self) =>
        From(self)?._events.Writer.TryWrite(new StreamEvent.InputMessage(GLib.Utf8(text) ?? ""));

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_pipeline != 0)
        {
            Gst.gst_element_set_state(_pipeline, Gst.StateNull);
        }

        _busWatcher?.Join(TimeSpan.FromSeconds(1));
        // An offer still being made holds the elements; a wait that never ends leaves them to the process's exit.
        if (!_offering.TryEnter(TimeSpan.FromSeconds(2)))
        {
            _events.Writer.TryComplete();
            return;
        }

        try
        {
            Free();
        }
        finally
        {
            _offering.Exit();
        }

        _events.Writer.TryComplete();
    }

    private void Free()
    {
        foreach (nint handle in new[] { _input, _encoder, _webrtc, _pipeline })
        {
            if (handle != 0)
            {
                Gst.gst_object_unref(handle);
            }
        }

        _input = _encoder = _webrtc = _pipeline = 0;
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }
}

/// <summary>GStreamer's one-time initialisation, once per process.</summary>
internal static class GStreamer
{
    private static readonly Lock Gate = new();

    public static void EnsureInitialized()
    {
        lock (Gate)
        {
            if (!Gst.gst_is_initialized())
            {
                Gst.gst_init(0, 0);
            }
        }
    }
}
