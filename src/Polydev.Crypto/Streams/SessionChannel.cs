using System.Security.Cryptography;

namespace Polydev.Crypto;

/// <summary>
/// Both directions of a login session's channel between the viewer and the login agent (docs/login-sessions.md):
/// two output streams (<see cref="OutputStream"/>, the same vetted format as a job's events), each under its own key
/// derived from the session key the viewer sealed to the sandbox. Every message's first plaintext byte says what it
/// is (a signal or screen bytes). A relay can read lengths and sequence numbers; a changed, dropped, reordered or
/// replayed message, or one made under another key, fails to open, and the channel refuses everything after it.
/// </summary>
public sealed class SessionChannel : IDisposable
{
    /// <summary>HKDF info of the viewer → sandbox key.</summary>
    public const string ViewerToSandboxInfo = "polydev/login/viewer-to-sandbox";
    /// <summary>HKDF info of the sandbox → viewer key.</summary>
    public const string SandboxToViewerInfo = "polydev/login/sandbox-to-viewer";

    private readonly OutputStreamEncryptor _outgoing;
    private readonly OutputStreamDecryptor _incoming;
    private readonly Lock _sealing = new();

    private SessionChannel(ReadOnlySpan<byte> sessionKey, string outgoingInfo, string incomingInfo)
    {
        if (sessionKey.Length != HkdfSha256.KeyLength)
        {
            throw new CryptographicException($"A session key is {HkdfSha256.KeyLength} bytes.");
        }

        byte[] outgoing = HkdfSha256.DeriveKey(sessionKey, outgoingInfo);
        byte[] incoming = HkdfSha256.DeriveKey(sessionKey, incomingInfo);
        try
        {
            _outgoing = new OutputStreamEncryptor(outgoing);
            _incoming = new OutputStreamDecryptor(incoming);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(outgoing);
            CryptographicOperations.ZeroMemory(incoming);
        }
    }

    /// <summary>The login agent's end: it seals sandbox → viewer and opens viewer → sandbox.</summary>
    public static SessionChannel ForSandbox(ReadOnlySpan<byte> sessionKey) => new(sessionKey, SandboxToViewerInfo, ViewerToSandboxInfo);

    /// <summary>The viewer's end (the web client's TypeScript mirrors it; the tests use this one).</summary>
    public static SessionChannel ForViewer(ReadOnlySpan<byte> sessionKey) => new(sessionKey, ViewerToSandboxInfo, SandboxToViewerInfo);

    /// <summary>One message: <c>kind | payload</c>, sealed as the next chunk of this end's stream. Thread-safe.</summary>
    public byte[] Seal(byte kind, ReadOnlySpan<byte> payload, bool isFinal = false)
    {
        byte[] plaintext = new byte[1 + payload.Length];
        plaintext[0] = kind;
        payload.CopyTo(plaintext.AsSpan(1));
        lock (_sealing)
        {
            return _outgoing.Seal(plaintext, isFinal);
        }
    }

    /// <summary>Opens the other end's next message.</summary>
    /// <exception cref="OutputStreamException">It was modified, dropped, reordered, replayed or made under another key; every later message is refused too.</exception>
    public (byte Kind, ReadOnlyMemory<byte> Payload, bool IsFinal) Open(ReadOnlySpan<byte> frame)
    {
        OutputChunk chunk = _incoming.Open(frame);
        if (chunk.Plaintext.Length == 0)
        {
            throw new OutputStreamException(OutputStreamFailure.Malformed, "a session message has no kind byte");
        }

        return (chunk.Plaintext[0], chunk.Plaintext.AsMemory(1), chunk.IsFinal);
    }

    /// <summary>Releases both directions' AES instances.</summary>
    public void Dispose()
    {
        _outgoing.Dispose();
        _incoming.Dispose();
    }
}
