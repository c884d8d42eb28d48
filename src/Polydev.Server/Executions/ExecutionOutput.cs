namespace Polydev.Server.Executions;

/// <summary>
/// The frames of one running execution, in memory, for live readers: the runner appends, any number of
/// readers follow from any sequence number, each waiting when caught up. Frames are ciphertext; the server
/// only reads their clear headers. Once the execution ends, readers finish and later ones read the database.
/// </summary>
public sealed class ExecutionOutput
{
    private readonly List<byte[]> _frames = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = NewSignal();
    private bool _completed;

    /// <summary>Frames so far.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _frames.Count;
            }
        }
    }

    /// <summary>Appends the frame with sequence number <see cref="Count"/>.</summary>
    public void Append(byte[] frame)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _frames.Add(frame);
            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    /// <summary>No more frames will come.</summary>
    public void Complete()
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _completed = true;
            changed = _changed;
        }

        changed.TrySetResult();
    }

    /// <summary>Frames from <paramref name="from"/> on as they arrive, until the output completes.</summary>
    public async IAsyncEnumerable<byte[]> FollowAsync(long from, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var next = from;
        while (true)
        {
            byte[]? frame = null;
            Task wait;
            lock (_lock)
            {
                if (next < _frames.Count)
                {
                    frame = _frames[(int)next];
                }
                else if (_completed)
                {
                    yield break;
                }

                wait = _changed.Task;
            }

            if (frame is not null)
            {
                next++;
                yield return frame;
                continue;
            }

            await wait.WaitAsync(cancellationToken);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
