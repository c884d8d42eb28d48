using Polydev.Agent.Login.Media;

namespace Polydev.Agent.Tests.Login;

/// <summary>The bitrate adaptation's decisions, fed receiver reports as webrtcbin would hand them over.</summary>
public sealed class BitrateControllerTests
{
    /// <summary>Reports with cumulative counters: 100 packets between two, <paramref name="lostPerReport"/> of them lost.</summary>
    private sealed class Reports(double roundTrip = 0.03)
    {
        private long _lost;
        private uint _sequence = 1000;

        public ReceiverReport Next(int lostPerReport, double? rtt = null)
        {
            _lost += lostPerReport;
            _sequence += 100;
            return new ReceiverReport(_lost, _sequence, lostPerReport / 100.0, rtt ?? roundTrip);
        }
    }

    [Fact]
    public void Without_loss_it_stays_at_the_start_bitrate_which_is_its_ceiling()
    {
        var controller = new BitrateController(2500);
        var reports = new Reports();
        for (int i = 0; i < 20; i++)
        {
            Assert.Null(controller.Observe(reports.Next(0)));
        }

        Assert.Equal(2500, controller.Kbps);
        Assert.Equal(2500, controller.Ceiling);
    }

    [Fact]
    public void Loss_above_ten_percent_cuts_to_seventy_percent_each_report_down_to_the_floor()
    {
        var controller = new BitrateController(2500);
        var reports = new Reports();
        controller.Observe(reports.Next(0));

        Assert.Equal(1750, controller.Observe(reports.Next(15)));
        Assert.Equal(1225, controller.Observe(reports.Next(11)));
        Assert.Equal(857, controller.Observe(reports.Next(30)));
        Assert.Equal(599, controller.Observe(reports.Next(30)));
        Assert.Equal(419, controller.Observe(reports.Next(30)));
        Assert.Equal(StreamSettings.MinBitrateKbps, controller.Observe(reports.Next(30)));
        Assert.Null(controller.Observe(reports.Next(50)));
        Assert.Equal(StreamSettings.MinBitrateKbps, controller.Lowest);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(10)]
    public void Loss_from_two_to_ten_percent_holds(int lostPercent)
    {
        var controller = new BitrateController(2500);
        var reports = new Reports();
        controller.Observe(reports.Next(0));
        controller.Observe(reports.Next(20));
        Assert.Equal(1750, controller.Kbps);

        Assert.Null(controller.Observe(reports.Next(lostPercent)));
        Assert.Equal(1750, controller.Kbps);
    }

    [Fact]
    public void Low_loss_adds_a_twentieth_of_the_ceiling_per_report_back_up_to_the_ceiling()
    {
        var controller = new BitrateController(2500);
        var reports = new Reports();
        controller.Observe(reports.Next(0));
        controller.Observe(reports.Next(50));
        Assert.Equal(1750, controller.Kbps);

        Assert.Equal(1875, controller.Observe(reports.Next(1)));
        Assert.Equal(2000, controller.Observe(reports.Next(0)));
        for (int i = 0; i < 10; i++)
        {
            controller.Observe(reports.Next(0));
        }

        Assert.Equal(2500, controller.Kbps);
        Assert.Equal(1750, controller.Lowest);
    }

    [Fact]
    public void The_same_report_read_twice_counts_once()
    {
        var controller = new BitrateController(2500);
        var reports = new Reports();
        controller.Observe(reports.Next(0));
        var lossy = reports.Next(40);

        Assert.Equal(1750, controller.Observe(lossy));
        Assert.Null(controller.Observe(lossy));
        Assert.Null(controller.Observe(lossy));
        Assert.Equal(1750, controller.Kbps);
    }

    [Fact]
    public void Loss_is_counted_between_the_reports_seen_not_from_the_last_reports_own_fraction()
    {
        // Two receiver reports arrived between two looks: the first lost 30 of 100, the second none. The last report's
        // own fraction says 0; the counters say 30 of 200.
        var controller = new BitrateController(2500);
        controller.Observe(new ReceiverReport(0, 1000, 0, 0.03));

        Assert.Equal(1750, controller.Observe(new ReceiverReport(30, 1200, 0, 0.03)));
    }

    [Fact]
    public void A_round_trip_grown_well_above_the_lowest_holds_instead_of_growing()
    {
        var controller = new BitrateController(2500);
        var reports = new Reports();
        controller.Observe(reports.Next(0, rtt: 0.03));
        controller.Observe(reports.Next(50, rtt: 0.03));
        Assert.Equal(1750, controller.Kbps);

        Assert.Null(controller.Observe(reports.Next(0, rtt: 0.2)));
        Assert.Equal(1875, controller.Observe(reports.Next(0, rtt: 0.1)));
    }

    [Fact]
    public void Without_sequence_numbers_the_reports_own_fraction_is_used()
    {
        var controller = new BitrateController(2500);
        controller.Observe(new ReceiverReport(0, null, 0, 0.03));

        Assert.Equal(1750, controller.Observe(new ReceiverReport(20, null, 0.2, 0.03)));
        Assert.Null(controller.Observe(new ReceiverReport(20, null, 0.2, 0.03)));
        Assert.Equal(1225, controller.Observe(new ReceiverReport(40, null, 0.2, 0.031)));
    }

    [Fact]
    public void The_first_report_is_judged_by_its_own_fraction()
    {
        Assert.Equal(1750, new BitrateController(2500).Observe(new ReceiverReport(50, 5000, 0.5, null)));
    }

    [Theory]
    [InlineData(100, StreamSettings.MinBitrateKbps)]
    [InlineData(20_000, StreamSettings.MaxBitrateKbps)]
    public void The_ceiling_is_the_start_bitrate_within_the_streams_bounds(int start, int ceiling)
    {
        var controller = new BitrateController(start);
        Assert.Equal(ceiling, controller.Ceiling);
        Assert.Equal(ceiling, controller.Kbps);
    }
}
