using System.Net;
using System.Net.Http.Json;
using Polydev.Client.Api;
using Polydev.Client.Keys;
using Polydev.Client.Vault;
using Polydev.Contracts;
using Polydev.Contracts.Executions;
using Polydev.Contracts.Jobs;
using Polydev.Contracts.Vault;
using Polydev.Crypto;

namespace Polydev.Client.Tests.Executions;

/// <summary>
/// The execution endpoints of a Polydev server, in memory, with a sandbox behind them: it opens the sealed job with
/// the sandbox's key, seals <see cref="Events"/> with the job's output key, and serves them as the output stream,
/// each connection as <see cref="Connections"/> says (how many frames, then drop, hang or end).
/// </summary>
internal sealed class FakeExecutionServer : HttpMessageHandler
{
    public const string Url = "http://polydev.test";

    private readonly UserKeyPair _sandbox = UserKeyPair.Generate();
    private readonly List<byte[]> _frames = [];
    private readonly object _gate = new();

    public FakeExecutionServer()
    {
        Keys = new VaultKeys(Guid.NewGuid(), RandomBytes(32), []);
        Cipher = new VaultCipher(Keys);
        CredentialId = Guid.NewGuid();
        Credential = new CredentialSecret("work", CredentialSecret.ApiKey, "sk-canary", BaseUrl: "https://gateway.example/v1");
    }

    public VaultKeys Keys { get; }

    public VaultCipher Cipher { get; }

    public Guid CredentialId { get; }

    public CredentialSecret Credential { get; }

    public Guid ExecutionId { get; } = Guid.NewGuid();

    public int MaxRunSeconds { get; init; } = 900;

    /// <summary>The events' JSON, in order; the last is sealed as the final chunk when <see cref="EndsWithFinalChunk"/>.</summary>
    public required IReadOnlyList<string> Events { get; init; }

    public bool EndsWithFinalChunk { get; init; } = true;

    /// <summary>One entry per stream request, in order; when they run out, every frame and a clean end.</summary>
    public Queue<Connection> Connections { get; } = new();

    /// <summary>What <c>GET /api/executions/{id}</c> answers after the stream has ended (or broken).</summary>
    public string State { get; set; } = ExecutionStates.Running;

    public string? Reason { get; set; }

    public Job? OpenedJob { get; private set; }

    public List<string> Requests { get; } = [];

    /// <summary>When set, <c>POST /api/executions</c> answers only once this completes: a slow (cold) lease.</summary>
    public TaskCompletionSource? LeaseHeld { get; init; }

    public List<CreateMessageRequest> Messages { get; } = [];

    public PolydevApi Api() => new(Url, "token", this);

    /// <summary>How one connection of the output stream behaves: send up to <paramref name="Frames"/> frames, then <paramref name="Then"/>.</summary>
    public sealed record Connection(int Frames, ConnectionEnd Then);

    public enum ConnectionEnd
    {
        /// <summary>The connection breaks (an <see cref="IOException"/> mid-stream).</summary>
        Drop,

        /// <summary>The connection stays open with nothing more to read, until the reader cancels.</summary>
        Hang,
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        lock (_gate)
        {
            Requests.Add($"{request.Method} {request.RequestUri.PathAndQuery}");
        }

        if (request.Method == HttpMethod.Get && path == ApiRoutes.Credentials)
        {
            var credential = new CredentialResponse(CredentialId, Providers.Anthropic, Credential.Seal(Cipher, CredentialId, Providers.Anthropic), 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
            return Json(new Page<CredentialResponse>([credential], null));
        }

        if (request.Method == HttpMethod.Post && path == ApiRoutes.Executions)
        {
            if (LeaseHeld is { } held)
            {
                // Not the caller's token: the server goes on leasing whether or not the client still waits.
                await held.Task;
            }

            return Json(new ExecutionCreatedResponse(ExecutionId, Providers.Anthropic, Convert.ToBase64String(_sandbox.PublicKey), "http://exec:TOKEN@10.89.0.1:10001", Warm: true, DateTimeOffset.UtcNow.AddMinutes(1), new ExecutionLimitsResponse(MaxRunSeconds, 16 << 20)));
        }

        if (request.Method == HttpMethod.Post && path == ApiRoutes.ExecutionStart(ExecutionId))
        {
            var start = (await request.Content!.ReadFromJsonAsync<StartExecutionRequest>(PolydevJson.Options, cancellationToken))!;
            Start(Convert.FromBase64String(start.SealedJob!));
            return Json(Execution(ExecutionStates.Running));
        }

        if (request.Method == HttpMethod.Get && path == ApiRoutes.Execution(ExecutionId))
        {
            return Json(Execution(State));
        }

        if (request.Method == HttpMethod.Get && path == ApiRoutes.ExecutionStream(ExecutionId).Split('?')[0])
        {
            var from = long.Parse(request.RequestUri.Query.Split("from=")[1], System.Globalization.CultureInfo.InvariantCulture);
            var connection = Connections.TryDequeue(out var next) ? next : null;
            var frames = _frames.Skip((int)from).Take(connection?.Frames ?? int.MaxValue).SelectMany(f => f).ToArray();
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new ScriptedStream(frames, connection?.Then)) };
        }

        if (request.Method == HttpMethod.Post && path == ApiRoutes.ExecutionCancel(ExecutionId))
        {
            return Json(Execution(ExecutionStates.Cancelled));
        }

        if (request.Method == HttpMethod.Post && path.StartsWith(ApiRoutes.Chats, StringComparison.Ordinal) && path.EndsWith("/messages", StringComparison.Ordinal))
        {
            var message = (await request.Content!.ReadFromJsonAsync<CreateMessageRequest>(PolydevJson.Options, cancellationToken))!;
            lock (_gate)
            {
                Messages.Add(message);
            }

            return Json(new MessageCreatedResponse(message.Id, Guid.Empty, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));
        }

        return new HttpResponseMessage(HttpStatusCode.NotFound);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sandbox.Dispose();
            Keys.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Start(byte[] sealedJob)
    {
        OpenedJob = System.Text.Json.JsonSerializer.Deserialize(SealedBox.Open(_sandbox, sealedJob, Job.SealedJobPurpose), JobJsonContext.Default.Job)!;
        using var encryptor = new OutputStreamEncryptor(OpenedJob.OutputKey);
        for (var i = 0; i < Events.Count; i++)
        {
            var final = EndsWithFinalChunk && i == Events.Count - 1;
            _frames.Add(OutputStream.Frame(encryptor.Seal(System.Text.Encoding.UTF8.GetBytes(Events[i]), final)));
        }
    }

    private ExecutionResponse Execution(string state) =>
        new(ExecutionId, Providers.Anthropic, state, ExecutionStates.IsFinished(state) ? Reason : null, true, null, 0, _frames.Count, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null);

    private static HttpResponseMessage Json<T>(T value) => new(HttpStatusCode.OK) { Content = JsonContent.Create(value, options: PolydevJson.Options) };

    private static byte[] RandomBytes(int length) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);

    /// <summary>Serves its bytes, then breaks, hangs until cancelled, or ends.</summary>
    private sealed class ScriptedStream(byte[] bytes, ConnectionEnd? then) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position < bytes.Length)
            {
                // A few bytes at a time, as a network delivers them.
                var count = Math.Min(Math.Min(buffer.Length, 7), bytes.Length - _position);
                bytes.AsMemory(_position, count).CopyTo(buffer);
                _position += count;
                return count;
            }

            switch (then)
            {
                case ConnectionEnd.Drop:
                    throw new IOException("The connection was reset.");
                case ConnectionEnd.Hang:
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    return 0;
                default:
                    return 0;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
