namespace Polydev.Agent.Login.Media;

/// <summary>
/// The viewer's latest RTCP receiver report on the video, as webrtcbin keeps it (<c>remote-inbound-rtp</c>).
/// </summary>
/// <param name="PacketsLost">Cumulative packets lost since the stream began (the report's 24-bit count, signed).</param>
/// <param name="HighestSequence">The extended highest sequence number received; with <paramref name="PacketsLost"/> it gives the loss between two reports.</param>
/// <param name="FractionLost">The report's own fraction lost since the viewer's previous report, 0–1.</param>
/// <param name="RoundTripSeconds">From the report's LSR/DLSR; null until the viewer has seen a sender report.</param>
internal readonly record struct ReceiverReport(long PacketsLost, uint? HighestSequence, double FractionLost, double? RoundTripSeconds);

/// <summary>What webrtcbin's <c>get-stats</c> says about the video this agent sends.</summary>
/// <param name="BytesSent">RTP payload bytes sent so far (<c>outbound-rtp</c>).</param>
/// <param name="Report">The viewer's last receiver report; null before the first one arrives.</param>
internal readonly record struct SenderStatistics(ulong BytesSent, ulong PacketsSent, ReceiverReport? Report)
{
    /// <summary>
    /// Reads the statistics structure webrtcbin replied with by walking it, field by field, through the GstStructure
    /// API: its serialised text nests each entry as an escaped string inside another, which no simple parser reads
    /// reliably. Only fields webrtcbin 1.22 is known to set are read; a missing one leaves its value empty.
    /// </summary>
    public static unsafe SenderStatistics Read(nint stats)
    {
        ulong bytesSent = 0, packetsSent = 0;
        ReceiverReport? report = null;
        nuint structureType = Gst.gst_structure_get_type();
        int count = Gst.gst_structure_n_fields(stats);
        for (uint i = 0; i < count; i++)
        {
            string? field = GLib.Utf8(Gst.gst_structure_nth_field_name(stats, i));
            GLib.GValue* value = field is null ? null : Gst.gst_structure_get_value(stats, field);
            if (value is null || value->Type != structureType)
            {
                continue;
            }

            nint entry = Gst.gst_value_get_structure(value);
            if (Gst.gst_structure_has_name(entry, "outbound-rtp"))
            {
                Gst.gst_structure_get_uint64(entry, "bytes-sent", out bytesSent);
                Gst.gst_structure_get_uint64(entry, "packets-sent", out packetsSent);
            }
            else if (Gst.gst_structure_has_name(entry, "remote-inbound-rtp") && report is null)
            {
                report = ReadReport(entry, structureType);
            }
        }

        return new SenderStatistics(bytesSent, packetsSent, report);
    }

    private static unsafe ReceiverReport ReadReport(nint entry, nuint structureType)
    {
        // packets-lost is a gint64 in 1.22; an int in case another version narrows it.
        if (!Gst.gst_structure_get_int64(entry, "packets-lost", out long lost) && Gst.gst_structure_get_int(entry, "packets-lost", out int narrow))
        {
            lost = narrow;
        }

        Gst.gst_structure_get_double(entry, "fraction-lost", out double fraction);
        double? roundTrip = Gst.gst_structure_get_double(entry, "round-trip-time", out double rtt) && rtt > 0 ? rtt : null;

        // The extended highest sequence is only in the raw RTP source statistics webrtcbin nests in the entry.
        uint? highest = null;
        GLib.GValue* raw = Gst.gst_structure_get_value(entry, "gst-rtpsource-stats");
        if (raw is not null && raw->Type == structureType && Gst.gst_structure_get_uint(Gst.gst_value_get_structure(raw), "rb-exthighestseq", out uint sequence))
        {
            highest = sequence;
        }

        return new ReceiverReport(lost, highest, Math.Clamp(fraction, 0, 1), roundTrip);
    }
}
