namespace Polydev.Agent.Login.Media;

/// <summary>
/// Picks the encoder's bitrate from the viewer's RTCP receiver reports, AIMD as in TCP and the loss-based half of
/// WebRTC's own congestion control: loss above 10 % between two reports cuts the bitrate to 70 %, loss from 2 % to
/// 10 % holds it, less adds a twentieth of the ceiling. The ceiling is the bitrate the stream started at (a login
/// page never needs more); the floor is <see cref="StreamSettings.MinBitrateKbps"/>. A round trip grown well above the
/// lowest seen means queues are filling before anything is lost: the bitrate then holds instead of growing into them.
/// Pure: it is fed reports and says what to set; reading the reports and setting the encoder are the caller's.
/// </summary>
internal sealed class BitrateController
{
    public const double DecreaseAboveLoss = 0.10;
    public const double IncreaseBelowLoss = 0.02;
    public const double DecreaseFactor = 0.7;
    public const double QueueingSeconds = 0.1;

    private ReceiverReport? _last;
    private double? _lowestRoundTrip;

    public BitrateController(int startKbps)
    {
        Ceiling = Math.Clamp(startKbps, StreamSettings.MinBitrateKbps, StreamSettings.MaxBitrateKbps);
        Kbps = Lowest = Ceiling;
    }

    /// <summary>The bitrate last picked.</summary>
    public int Kbps { get; private set; }

    /// <summary>The lowest bitrate picked so far.</summary>
    public int Lowest { get; private set; }

    public int Ceiling { get; }

    public int Step => Math.Max(1, Ceiling / 20);

    /// <summary>Takes the latest receiver report (the same one may come again when none arrived since the last call).</summary>
    /// <returns>The new bitrate in kbit/s when this report changes it; null when it stays.</returns>
    public int? Observe(ReceiverReport report)
    {
        double? loss = LossSince(report);
        _last = report;
        if (loss is not double lost)
        {
            return null;
        }

        if (report.RoundTripSeconds is double roundTrip)
        {
            _lowestRoundTrip = Math.Min(_lowestRoundTrip ?? roundTrip, roundTrip);
        }

        bool queueing = report.RoundTripSeconds - _lowestRoundTrip > QueueingSeconds;
        int next = lost > DecreaseAboveLoss ? (int)(Kbps * DecreaseFactor)
            : lost >= IncreaseBelowLoss || queueing ? Kbps
            : Kbps + Step;
        next = Math.Clamp(next, StreamSettings.MinBitrateKbps, Ceiling);
        if (next == Kbps)
        {
            return null;
        }

        Kbps = next;
        Lowest = Math.Min(Lowest, next);
        return next;
    }

    /// <summary>
    /// The share of packets lost since the last report seen, from the reports' cumulative counters: that counts every
    /// report the viewer sent in between once, however many came between two looks. Null when nothing new arrived.
    /// </summary>
    private double? LossSince(ReceiverReport report)
    {
        if (_last is not { } last)
        {
            return report.FractionLost;
        }

        if (report.HighestSequence is not uint highest || last.HighestSequence is not uint before)
        {
            // Without the sequence numbers a repeated report cannot be told from a new one with the same figures; the
            // report's own fraction is used, and an identical report is taken as the same one.
            return report == last ? null : report.FractionLost;
        }

        uint expected = unchecked(highest - before);
        if (expected == 0)
        {
            return null;
        }

        if (expected > int.MaxValue)
        {
            // The sequence went backwards: a new source. Its report's own fraction is all there is to go on.
            return report.FractionLost;
        }

        return Math.Clamp(report.PacketsLost - last.PacketsLost, 0, expected) / (double)expected;
    }
}
