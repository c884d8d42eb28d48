using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Polydev.Crypto.Tests.Support;

namespace Polydev.Crypto.Tests.Streams;

/// <summary>Builds tests/vectors/output-stream.json from fixed inputs (the format is deterministic given the key).</summary>
internal static class OutputStreamVectorGenerator
{
    public const string FileName = "output-stream.json";

    public static byte[] Key => PolydevVectorGenerator.FixedBytes("output-stream key", 32);

    public static string[] Plaintexts =>
    [
        "{\"type\":\"text\",\"text\":\"Hello\"}",
        "",
        "{\"type\":\"text\",\"text\":\" w\\u00f6rld\"}",
        "{\"type\":\"exit\",\"exitCode\":0,\"reason\":\"ok\"}",
    ];

    public static List<byte[]> Frames()
    {
        using var encryptor = new OutputStreamEncryptor(Key);
        string[] plaintexts = Plaintexts;
        return plaintexts.Select((text, i) => encryptor.Seal(Encoding.UTF8.GetBytes(text), i == plaintexts.Length - 1)).ToList();
    }

    public static JsonObject Generate()
    {
        byte[] key = Key;
        List<byte[]> frames = Frames();
        string[] plaintexts = Plaintexts;
        var chunks = new JsonArray();
        for (int i = 0; i < frames.Count; i++)
        {
            bool isFinal = i == frames.Count - 1;
            byte[] nonce = new byte[12];
            OutputStream.WriteNonce(nonce, i, isFinal);
            chunks.Add(new JsonObject
            {
                ["sequence"] = i,
                ["final"] = isFinal,
                ["plaintext"] = VectorJson.Hex(Encoding.UTF8.GetBytes(plaintexts[i])),
                ["nonce"] = VectorJson.Hex(nonce),
                ["associatedData"] = VectorJson.Hex(OutputStream.AssociatedData(frames[i])),
                ["frame"] = VectorJson.Hex(frames[i]),
            });
        }

        byte[] wire = Concat(frames);
        var mustFail = new JsonArray
        {
            Bad("a chunk dropped", Concat([frames[0], frames[2], frames[3]]), "outOfOrder"),
            Bad("two chunks swapped", Concat([frames[0], frames[2], frames[1], frames[3]]), "outOfOrder"),
            Bad("a chunk replayed", Concat([frames[0], frames[0], frames[1], frames[2], frames[3]]), "outOfOrder"),
            Bad("truncated before the final chunk", Concat([frames[0], frames[1], frames[2]]), "truncated"),
            Bad("truncated inside a frame", OutputStream.Frame(frames[0]).Concat(OutputStream.Frame(frames[1])[..10]).ToArray(), "truncated"),
            Bad("a chunk after the final chunk", Concat([frames[0], frames[1], frames[2], frames[3], frames[1]]), "afterFinal"),
            Bad("final flag set on an earlier chunk", Concat([FlipFinal(frames[2])]), "authentication", startSequence: 2),
            Bad("final flag cleared on the last chunk", Concat([frames[0], frames[1], frames[2], FlipFinal(frames[3])]), "authentication"),
            Bad("a ciphertext byte changed", Concat([frames[0], Flip(frames[1], 11)]), "authentication"),
            Bad("sealed under another key", Concat([SealUnder(PolydevVectorGenerator.FixedBytes("other key", 32), frames.Count)]), "authentication"),
            Bad("unknown version", Concat([SetByte(frames[0], 0, 2)]), "malformed"),
        };

        return new JsonObject
        {
            ["description"] = "Polydev output stream (docs/crypto.md, Output stream). Byte strings are lower-case hex. "
                + "stream is the frames of the chunks, each with its 4-byte length prefix, concatenated.",
            ["key"] = VectorJson.Hex(key),
            ["chunks"] = chunks,
            ["stream"] = VectorJson.Hex(wire),
            ["streamsThatMustFail"] = mustFail,
        };
    }

    public static void WriteTo(string path) =>
        File.WriteAllText(path, Generate().ToJsonString(PolydevVectorGenerator.WriteOptions).ReplaceLineEndings("\n") + "\n");

    public static byte[] Concat(IEnumerable<byte[]> frames) => frames.SelectMany(f => OutputStream.Frame(f)).ToArray();

    private static JsonObject Bad(string description, byte[] stream, string failure, long startSequence = 0) => new()
    {
        ["description"] = description,
        ["startSequence"] = startSequence,
        ["stream"] = VectorJson.Hex(stream),
        ["failure"] = failure,
    };

    private static byte[] FlipFinal(byte[] frame) => SetByte(frame, 1, (byte)(frame[1] ^ OutputStream.FinalFlag));

    private static byte[] Flip(byte[] frame, int index) => SetByte(frame, index, (byte)(frame[index] ^ 0x01));

    private static byte[] SetByte(byte[] frame, int index, byte value)
    {
        byte[] copy = (byte[])frame.Clone();
        copy[index] = value;
        return copy;
    }

    private static byte[] SealUnder(byte[] key, int count)
    {
        using var aes = new AesGcm(key, OutputStream.TagLength);
        return OutputStreamEncryptor.Seal(aes, 0, count == 1, Encoding.UTF8.GetBytes(Plaintexts[0]));
    }
}
