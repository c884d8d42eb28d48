using System.Text;
using System.Text.Json.Nodes;
using Polydev.Crypto.Tests.Support;

namespace Polydev.Crypto.Tests.Streams;

public sealed class OutputStreamTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void Checked_in_vectors_are_what_the_generator_produces()
    {
        JsonObject generated = OutputStreamVectorGenerator.Generate();
        if (Environment.GetEnvironmentVariable("POLYDEV_WRITE_VECTORS") == "1")
        {
            OutputStreamVectorGenerator.WriteTo(VectorFiles.SourcePath(OutputStreamVectorGenerator.FileName));
            return;
        }

        Assert.True(
            JsonNode.DeepEquals(VectorFiles.Load(OutputStreamVectorGenerator.FileName), generated),
            "tests/vectors/output-stream.json differs from what the implementation generates; regenerate with POLYDEV_WRITE_VECTORS=1 only after an intentional format change.");
    }

    [Fact]
    public async Task Vector_stream_opens_chunk_by_chunk()
    {
        JsonObject file = VectorFiles.Load(OutputStreamVectorGenerator.FileName);
        byte[] key = file.Bytes("key");
        using var reader = new OutputStreamReader(new MemoryStream(file.Bytes("stream")), key);
        IReadOnlyList<OutputChunk> chunks = await reader.ReadAllAsync();
        JsonNode[] expected = file.Items("chunks").ToArray();
        Assert.Equal(expected.Length, chunks.Count);
        for (int i = 0; i < chunks.Count; i++)
        {
            Assert.Equal(expected[i].Int("sequence"), chunks[i].Sequence);
            Assert.Equal(expected[i]["final"]!.GetValue<bool>(), chunks[i].IsFinal);
            Assert.Equal(expected[i].Bytes("plaintext"), chunks[i].Plaintext);

            // The frame's pieces, for a second implementation: AES-256-GCM(key, nonce, aad) gives ciphertext || tag.
            byte[] frame = expected[i].Bytes("frame");
            using var aes = new AesGcm(key, 16);
            byte[] plaintext = new byte[frame.Length - 26];
            aes.Decrypt(expected[i].Bytes("nonce"), frame.AsSpan(10, plaintext.Length), frame.AsSpan(10 + plaintext.Length), plaintext, expected[i].Bytes("associatedData"));
            Assert.Equal(expected[i].Bytes("plaintext"), plaintext);
        }
    }

    [Fact]
    public async Task Vector_streams_that_must_fail_fail_for_the_stated_reason()
    {
        JsonObject file = VectorFiles.Load(OutputStreamVectorGenerator.FileName);
        foreach (JsonNode bad in file.Items("streamsThatMustFail"))
        {
            using var reader = new OutputStreamReader(new MemoryStream(bad.Bytes("stream")), file.Bytes("key"), bad.Int("startSequence"));
            var error = await Assert.ThrowsAsync<OutputStreamException>(() => reader.ReadAllAsync());
            string expected = bad.Text("failure");
            Assert.True(
                string.Equals(expected, error.Failure.ToString(), StringComparison.OrdinalIgnoreCase),
                $"{bad.Text("description")}: expected {expected}, got {error.Failure} ({error.Message})");
        }
    }

    [Fact]
    public async Task Writer_and_reader_round_trip_over_a_stream()
    {
        var pipe = new MemoryStream();
        using (var writer = new OutputStreamWriter(pipe, Key))
        {
            for (int i = 0; i < 100; i++)
            {
                await writer.WriteAsync(Encoding.UTF8.GetBytes($"chunk {i}"));
            }

            await writer.WriteAsync(new byte[OutputStream.MaxPlaintextLength], isFinal: true);
            Assert.True(writer.IsFinished);
            await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteAsync(new byte[1]).AsTask());
        }

        pipe.Position = 0;
        using var reader = new OutputStreamReader(pipe, Key);
        IReadOnlyList<OutputChunk> chunks = await reader.ReadAllAsync();
        Assert.Equal(101, chunks.Count);
        Assert.Equal("chunk 42", Encoding.UTF8.GetString(chunks[42].Plaintext));
        Assert.True(chunks[^1].IsFinal);
        Assert.Null(await reader.ReadAsync());
    }

    [Fact]
    public async Task A_resumed_reader_starts_at_its_sequence_number_and_a_relay_reads_headers_without_the_key()
    {
        using var encryptor = new OutputStreamEncryptor(Key);
        byte[][] frames = [encryptor.Seal("a"u8, false), encryptor.Seal("b"u8, false), encryptor.Seal("c"u8, true)];
        var wire = new MemoryStream(OutputStreamVectorGenerator.Concat(frames));

        var relayed = new List<OutputStreamFrame>();
        while (await OutputStream.ReadFrameAsync(wire) is { } frame)
        {
            relayed.Add(frame);
        }

        Assert.Equal([0L, 1L, 2L], relayed.Select(f => f.Sequence));
        Assert.Equal([false, false, true], relayed.Select(f => f.IsFinal));

        using var reader = new OutputStreamReader(new MemoryStream(OutputStreamVectorGenerator.Concat(frames[1..])), Key, nextSequence: 1);
        Assert.Equal(["b", "c"], (await reader.ReadAllAsync()).Select(c => Encoding.UTF8.GetString(c.Plaintext)));
    }

    /// <summary>Issue 13, finding 15b: the decryptor kept opening chunks after one had failed.</summary>
    [Fact]
    public void After_one_chunk_fails_every_later_chunk_is_refused_even_a_good_one()
    {
        using var encryptor = new OutputStreamEncryptor(Key);
        byte[][] frames = [encryptor.Seal("a"u8, false), encryptor.Seal("b"u8, false), encryptor.Seal("c"u8, true)];
        var tampered = (byte[])frames[1].Clone();
        tampered[^1] ^= 1;

        using var decryptor = new OutputStreamDecryptor(Key);
        Assert.Equal("a", Encoding.UTF8.GetString(decryptor.Open(frames[0]).Plaintext));
        Assert.Equal(OutputStreamFailure.Authentication, Assert.Throws<OutputStreamException>(() => decryptor.Open(tampered)).Failure);
        foreach (var next in new[] { frames[1], frames[2] })
        {
            var refused = Assert.Throws<OutputStreamException>(() => decryptor.Open(next));
            Assert.Equal(OutputStreamFailure.AfterFailure, refused.Failure);
            Assert.Contains("Authentication", refused.Message, StringComparison.Ordinal);
        }

        Assert.False(decryptor.IsFinished);
    }

    [Fact]
    public async Task Oversized_length_prefix_is_refused_before_reading_the_frame()
    {
        byte[] wire = [0x7f, 0xff, 0xff, 0xff, 1, 0];
        var error = await Assert.ThrowsAsync<OutputStreamException>(() => OutputStream.ReadFrameAsync(new MemoryStream(wire)).AsTask());
        Assert.Equal(OutputStreamFailure.Malformed, error.Failure);
    }

    [Fact]
    public void Keys_of_the_wrong_length_and_oversized_chunks_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new OutputStreamEncryptor(new byte[16]));
        Assert.Throws<ArgumentException>(() => new OutputStreamDecryptor(new byte[33]));
        using var encryptor = new OutputStreamEncryptor(Key);
        Assert.Throws<ArgumentException>(() => encryptor.Seal(new byte[OutputStream.MaxPlaintextLength + 1], false));
    }

    [Fact]
    public void An_empty_stream_is_truncated()
    {
        using var decryptor = new OutputStreamDecryptor(Key);
        Assert.Equal(OutputStreamFailure.Truncated, Assert.Throws<OutputStreamException>(decryptor.Complete).Failure);
    }
}
