using System.Security.Cryptography;
using Polydev.Crypto;

namespace Polydev.Bench;

/// <summary>
/// What the user waits for on the client: unlock (PBKDF2 at the default cost, HKDF, unwrapping
/// userKey and the private key) and envelope throughput for message-sized and large payloads.
/// </summary>
internal static class ClientBenchmark
{
    public static Latencies Unlock(int runs)
    {
        var userId = Guid.CreateVersion7();
        var kdf = KdfParameters.CreateDefault();
        var kek = MasterKey.DeriveKek(MasterKey.Derive("correct horse battery staple", kdf));
        var userKey = UserKey.Generate();
        var wrappedUserKey = Envelope.Seal(kek, userKey, new EnvelopeContext(EnvelopeKinds.UserKey, userId, userId));
        using var pair = UserKeyPair.Generate();
        var wrappedPrivateKey = Envelope.Seal(userKey, pair.ExportPkcs8(), new EnvelopeContext(EnvelopeKinds.UserPrivateKey, userId, userId));

        return Latencies.MeasureSerial($"unlock ({kdf.Iterations} PBKDF2 iterations)", runs, () =>
        {
            var master = MasterKey.Derive("correct horse battery staple", kdf);
            var unwrapped = Envelope.Open(MasterKey.DeriveKek(master), wrappedUserKey, new EnvelopeContext(EnvelopeKinds.UserKey, userId, userId));
            using var privateKey = UserKeyPair.ImportPkcs8(Envelope.Open(unwrapped, wrappedPrivateKey, new EnvelopeContext(EnvelopeKinds.UserPrivateKey, userId, userId)));
        });
    }

    /// <summary>Seal then open one payload of <paramref name="bytes"/>, repeatedly, for about a second.</summary>
    public static (Latencies Seal, Latencies Open) Envelopes(int bytes)
    {
        var key = UserKey.Generate();
        var plaintext = RandomNumberGenerator.GetBytes(bytes);
        var context = new EnvelopeContext(EnvelopeKinds.ChatMessage, Guid.CreateVersion7(), Guid.CreateVersion7());
        var runs = Math.Clamp(200_000_000 / Math.Max(bytes, 1), 200, 100_000);
        var sealedEnvelope = Envelope.Seal(key, plaintext, context);
        var seal = Latencies.MeasureSerial($"envelope seal {bytes} B", runs, () => Envelope.Seal(key, plaintext, context));
        var open = Latencies.MeasureSerial($"envelope open {bytes} B", runs, () => Envelope.Open(key, sealedEnvelope, context));
        return (seal, open);
    }
}
