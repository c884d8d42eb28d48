namespace Polydev.Agent.Login.Media;

/// <summary>The video codecs the login stream can send; the viewer says which it decodes, the agent picks one.</summary>
internal enum VideoCodec
{
    Vp8,
    H264,
}

/// <summary>What one streaming session captures and how it encodes and connects.</summary>
/// <param name="Display">The X display to capture (<c>:1</c>).</param>
/// <param name="TurnServers">TURN URIs with their credentials (<c>turn://user:pass@host:port?transport=udp</c>), already escaped.</param>
/// <param name="RelayOnly">Gather relay candidates only: a login sandbox has no other route.</param>
internal sealed record StreamSettings(
    string Display,
    int Width,
    int Height,
    int FramesPerSecond,
    VideoCodec Codec,
    int BitrateKbps,
    IReadOnlyList<string> TurnServers,
    bool RelayOnly)
{
    public const int MinBitrateKbps = 300;
    public const int MaxBitrateKbps = 8000;

    /// <summary>
    /// The GStreamer pipeline: the screen, converted for the encoder, through a one-frame leaky queue (a slow encoder
    /// drops frames instead of building latency), an encoder tuned for real time (no B-frames, no look-ahead), the
    /// RTP payloader, into webrtcbin. The encoder is named so its bitrate can follow the receiver's reports.
    /// </summary>
    public string Pipeline()
    {
        string source = $"ximagesrc name=screen display-name={Display} use-damage=false show-pointer=false startx=0 starty=0 endx={Width - 1} endy={Height - 1}"
            + $" ! video/x-raw,framerate={FramesPerSecond}/1 ! videoconvert ! video/x-raw,format=I420"
            + " ! queue max-size-buffers=1 max-size-bytes=0 max-size-time=0 leaky=downstream";
        string encoder = Codec switch
        {
            // deadline=1: realtime; cpu-used=8: fastest useful speed; lag-in-frames=0: no look-ahead (no added frames of delay).
            VideoCodec.Vp8 => $"vp8enc name=encoder deadline=1 cpu-used=8 lag-in-frames=0 end-usage=cbr target-bitrate={BitrateKbps * 1000}"
                + " undershoot=95 buffer-size=500 buffer-initial-size=300 buffer-optimal-size=400 keyframe-max-dist=150 error-resilient=default threads=2"
                + " ! rtpvp8pay picture-id-mode=15-bit mtu=1200 ! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000",
            // zerolatency: no B-frames, no look-ahead, sliced threads; constrained-baseline is what every browser decodes.
            _ => $"x264enc name=encoder tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max=150 bitrate={BitrateKbps} vbv-buf-capacity=300"
                + " ! video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 aggregate-mode=zero-latency mtu=1200"
                + " ! application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000",
        };
        return $"webrtcbin name=webrtc bundle-policy=max-bundle latency=0 {source} ! {encoder} ! webrtc.";
    }

    /// <summary>The encoder's bitrate property and its value in the encoder's unit.</summary>
    public (string Property, string Value) BitrateProperty(int kbps) => Codec switch
    {
        VideoCodec.Vp8 => ("target-bitrate", (kbps * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        _ => ("bitrate", kbps.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    };
}
