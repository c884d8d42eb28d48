using System.Diagnostics;
using System.Text.Json;
using Polydev.Agent.Protocol;
using Polydev.Contracts.Login;
using Polydev.Crypto;

namespace Polydev.Agent.Tests.Login;

/// <summary>
/// <c>polydev-agent login</c> as a real process, with the test in the places of the server (the channel) and of the
/// viewer (the session key): the opening is sealed to the hello's key, and signals go both ways sealed under it.
/// </summary>
internal sealed class LoginAgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly AgentFrameReader _reader;
    private readonly AgentFrameWriter _writer;
    private readonly Task<string> _stderr;

    private LoginAgentProcess(Process process, AgentHarness harness)
    {
        _process = process;
        Harness = harness;
        _reader = new AgentFrameReader(process.StandardOutput.BaseStream, "agent");
        _writer = new AgentFrameWriter(process.StandardInput.BaseStream);
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public AgentHarness Harness { get; }

    public SessionChannel Viewer { get; private set; } = null!;

    public byte[] PublicKey { get; private set; } = [];

    public AgentExit? Exit { get; private set; }

    /// <summary>The captured credential the agent sent (frame 0x08), as the server would keep it; null until then.</summary>
    public byte[]? Credential { get; private set; }

    public Task<string> Stderr => _stderr;

    /// <summary>The agent's stderr, after killing it: for a failure's message.</summary>
    public async Task<string> StderrSoFarAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        return await _stderr.WaitAsync(TimeSpan.FromSeconds(5));
    }

    public static Task<LoginAgentProcess> StartAsync(params string[] arguments) => StartAsync(_ => { }, arguments);

    /// <summary>Starts the agent after <paramref name="configure"/> set up its sandbox (fake CLIs, environment).</summary>
    public static async Task<LoginAgentProcess> StartAsync(Action<AgentHarness> configure, params string[] arguments)
    {
        var harness = new AgentHarness();
        configure(harness);
        var process = Process.Start(harness.StartInfo(["login", "--heartbeat-ms", "1000", .. arguments]))!;
        var agent = new LoginAgentProcess(process, harness);
        AgentFrame? hello = await agent._reader.ReadAsync();
        Assert.Equal(AgentFrameType.Hello, hello?.Type);
        agent.PublicKey = AgentHello.Decode(hello!.Payload).PublicKey;
        return agent;
    }

    /// <summary>Seals the opening to the agent's key (with a fresh session key, unless one is given) and sends it.</summary>
    public async Task OpenAsync(LoginOpening opening)
    {
        if (opening.SessionKey.Length == 0)
        {
            opening.SessionKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(LoginOpening.SessionKeyLength);
        }

        Viewer = SessionChannel.ForViewer(opening.SessionKey);
        byte[] plaintext = JsonSerializer.SerializeToUtf8Bytes(opening, LoginJsonContext.Default.LoginOpening);
        await _writer.WriteAsync(AgentFrameType.Job, SealedBox.Seal(PublicKey, plaintext, LoginOpening.SealedPurpose));
    }

    public async Task SendRawJobAsync(byte[] sealedOpening) => await _writer.WriteAsync(AgentFrameType.Job, sealedOpening);

    public Task SendAsync(LoginSignal signal) =>
        SendRawAsync(Viewer.Seal((byte)LoginMessageKind.Signal, JsonSerializer.SerializeToUtf8Bytes(signal, LoginJsonContext.Default.LoginSignal)));

    public async Task SendRawAsync(byte[] sealedMessage)
    {
        try
        {
            await _writer.WriteAsync(AgentFrameType.Signal, sealedMessage);
        }
        catch (IOException e)
        {
            throw new IOException($"The agent is gone (exit status {(_process.HasExited ? _process.ExitCode : -1)}): {await StderrSoFarAsync()}", e);
        }
    }

    /// <summary>The next signal from the agent (heartbeats skipped), opened; null once the agent exited (see <see cref="Exit"/>).</summary>
    public async Task<LoginSignal?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (await _reader.ReadAsync(limit.Token) is { } frame)
        {
            switch (frame.Type)
            {
                case AgentFrameType.Signal:
                    var (kind, payload, _) = Viewer.Open(frame.Payload);
                    if (kind == (byte)LoginMessageKind.Signal)
                    {
                        return JsonSerializer.Deserialize(payload.Span, LoginJsonContext.Default.LoginSignal);
                    }

                    break;
                case AgentFrameType.Credential:
                    Credential = frame.Payload;
                    break;
                case AgentFrameType.Exit:
                    Exit = AgentExit.Decode(frame.Payload);
                    return null;
            }
        }

        return null;
    }

    /// <summary>The next screen bytes from the agent (the VNC fallback's RFB stream), opened; signals before them are skipped.</summary>
    public async Task<byte[]?> ReceiveScreenAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        while (await _reader.ReadAsync(limit.Token) is { } frame)
        {
            if (frame.Type == AgentFrameType.Signal && Viewer.Open(frame.Payload) is var (kind, payload, _) && kind == (byte)LoginMessageKind.Screen)
            {
                return payload.ToArray();
            }

            if (frame.Type == AgentFrameType.Exit)
            {
                Exit = AgentExit.Decode(frame.Payload);
                return null;
            }
        }

        return null;
    }

    public Task SendScreenAsync(byte[] bytes) => SendRawAsync(Viewer.Seal((byte)LoginMessageKind.Screen, bytes));

    /// <summary>Reads until the exit frame, ignoring everything else.</summary>
    public async Task<AgentExit?> WaitForExitAsync(TimeSpan timeout)
    {
        while (Exit is null && await ReceiveAsync(timeout) is not null)
        {
        }

        return Exit;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        Viewer?.Dispose();
        Harness.Dispose();
    }
}
