using System.Text;
using System.Text.Json;
using Polydev.Contracts.Jobs;

namespace Polydev.Client.Tests.Contracts;

/// <summary>The JSON of the job and the events, member for member as docs/events.md gives it.</summary>
public sealed class JobJsonTests
{
    [Fact]
    public void A_job_is_camel_case_with_null_members_left_out()
    {
        var job = new Job
        {
            Version = Job.CurrentVersion,
            Provider = "anthropic",
            Credential = new JobCredential { Type = JobCredential.ApiKey, Value = "sk-ant" },
            Prompt = "Refactor",
            Options = new JobOptions { Model = "claude-sonnet-4-5", TimeLimitSeconds = 600 },
            OutputKey = new byte[32],
            ProxyUrl = "http://exec:T@10.89.0.1:10001",
            BaseUrl = "https://gateway.example",
            CaBundle = "PEM",
        };
        Assert.Equal(
            """{"version":1,"provider":"anthropic","credential":{"type":"api_key","value":"sk-ant"},"prompt":"Refactor","options":{"model":"claude-sonnet-4-5","timeLimitSeconds":600,"maxOutputBytes":0},"outputKey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","proxyUrl":"http://exec:T@10.89.0.1:10001","baseUrl":"https://gateway.example","caBundle":"PEM"}""",
            JsonSerializer.Serialize(job, JobJsonContext.Default.Job));

        job.Options.Model = job.ProxyUrl = job.BaseUrl = job.CaBundle = null;
        Assert.Equal(
            """{"version":1,"provider":"anthropic","credential":{"type":"api_key","value":"sk-ant"},"prompt":"Refactor","options":{"timeLimitSeconds":600,"maxOutputBytes":0},"outputKey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}""",
            JsonSerializer.Serialize(job, JobJsonContext.Default.Job));
    }

    [Theory]
    [InlineData("""{"version":1,"prompt":"x","promt":"typo"}""")]
    [InlineData("""{"version":1,"options":{"timeLimit":5}}""")]
    public void A_job_with_an_unknown_member_is_refused(string json) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, JobJsonContext.Default.Job));

    public static TheoryData<AgentEvent, string> Events => new()
    {
        { new AcceptedEvent { Provider = "openai" }, """{"type":"accepted","provider":"openai"}""" },
        { new StartEvent { Model = "gpt-5", Session = "s-1" }, """{"type":"start","model":"gpt-5","session":"s-1"}""" },
        { new StartEvent(), """{"type":"start"}""" },
        { new TextEvent { Text = "wörld <b>" }, """{"type":"text","text":"w\u00F6rld \u003Cb\u003E"}""" },
        { new ToolUseEvent { Id = "t1", Name = "Bash", Input = JsonDocument.Parse("""{"command":"ls"}""").RootElement }, """{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}""" },
        { new ToolResultEvent { Id = "t1", IsError = true }, """{"type":"tool_result","id":"t1","isError":true}""" },
        {
            new ResultEvent { Text = "done", Usage = new EventUsage { InputTokens = 10, OutputTokens = 5, CachedInputTokens = 0 }, CostUsd = 0.01, DurationMs = 1200 },
            """{"type":"result","text":"done","isError":false,"usage":{"inputTokens":10,"outputTokens":5,"cachedInputTokens":0},"costUsd":0.01,"durationMs":1200}"""
        },
        { new ErrorEvent { Source = ErrorSources.Stderr, Message = "warning" }, """{"type":"error","source":"stderr","message":"warning"}""" },
        { new ExitEvent { Reason = ExitReasons.CliError }, """{"type":"exit","reason":"cli_error"}""" },
        { new ExitEvent { ExitCode = 145, Reason = ExitReasons.CliError }, """{"type":"exit","exitCode":145,"reason":"cli_error"}""" },
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Every_event_type_writes_and_reads_back(AgentEvent e, string json)
    {
        Assert.Equal(json, JsonSerializer.Serialize(e, EventJsonContext.Default.AgentEvent));
        var read = JsonSerializer.Deserialize(json, EventJsonContext.Default.AgentEvent)!;
        Assert.Equal(e.GetType(), read.GetType());
        Assert.Equal(JsonDocument.Parse(json).RootElement.GetProperty("type").GetString(), read.Type);
        Assert.Equal(json, JsonSerializer.Serialize(read, EventJsonContext.Default.AgentEvent));
    }

    [Fact]
    public void A_reader_takes_what_a_newer_agent_writes()
    {
        // An unknown type reads as a plain event (readers skip it); unknown members are ignored; "type" may come later.
        var unknown = JsonSerializer.Deserialize("""{"type":"thinking","text":"hm"}""", EventJsonContext.Default.AgentEvent)!;
        Assert.Equal((typeof(AgentEvent), (string?)null), (unknown.GetType(), unknown.Type));
        Assert.Equal("x", Assert.IsType<TextEvent>(JsonSerializer.Deserialize("""{"text":"x","newField":1,"type":"text"}""", EventJsonContext.Default.AgentEvent)).Text);
        Assert.Equal(typeof(AgentEvent), JsonSerializer.Deserialize(Encoding.UTF8.GetBytes("{}"), EventJsonContext.Default.AgentEvent)!.GetType());
    }
}
