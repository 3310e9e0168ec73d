"""compare_files over a dask.distributed cluster.

    from distributed import Client
    import kldkit.dask
    reports = kldkit.dask.compare_files(Client(), "base.logits", "q4.logits")

The chunks are split into contiguous ranges of whole chunks, one task per
range; a task runs the library's engine on its range only
(kldkit.compare_files with chunk_range) and returns each model's
serialized accumulator; the client merges them in chunk order. Sums are
exact, so the reports are the single-process ones bit for bit. Workers open
the files themselves: each must see them at the same paths and import
kldkit. This module never imports dask (only the client object is used),
and `import kldkit` does not load it.
"""
import contextlib
import math
import warnings

import numpy as np

from . import _kernels, _lib
from ._evaluate import compare_files as _compare_files
from ._metrics import Accumulator
from ._reader import Reader


class Error(_lib.Error):
    """A kldkit.Error raised on a worker. kldkit.Error itself cannot be
    unpickled (its args are the formatted text), so this one keeps
    (status, message) as args to reach the client intact."""

    def __init__(self, status, message):
        super().__init__(status, message)
        self.args = (status, message)

    def __str__(self):
        return f"{self.message} [{_lib.status_name(self.status)}]"


def _compare_range(base, models, begin, end, options, accumulator):
    """On a worker: chunks [begin, end) of every model; returns the
    serialized states and the warnings the engine gave."""
    try:
        with contextlib.ExitStack() as stack:
            accs = [stack.enter_context(Accumulator(**accumulator))
                    for _ in models]
            with warnings.catch_warnings(record=True) as said:
                warnings.simplefilter("always")
                _compare_files(base, *models, chunk_range=(begin, end),
                               into=accs, **options)
            return ([a.serialize() for a in accs],
                    [str(w.message) for w in said])
    except Exception as e:  # re-raised outside: a chained kldkit.Error
        status = e.status if isinstance(e, _lib.Error) else _lib.INTERNAL
        text = e.message if isinstance(e, _lib.Error) else repr(e)
        if not text.startswith("chunks "):  # the engine names its range
            text = f"chunks {begin}:{end or ''}: {text}"
        error = Error(status, f"kldkit.dask: {text}")
    raise error  # would make the exception unpicklable


def _chunk_count(base, models, tokens, n_ctx):
    """Chunks of the rows every file holds, as the engine plans them; the
    engine's own checks run in every task."""
    ctx, rows = n_ctx or 0, None
    for path in (base, *models):
        with Reader(path, allow_truncated=True) as r:
            ctx = ctx or r.header.n_ctx
            rows = r.header.n_rows if rows is None else min(rows,
                                                            r.header.n_rows)
    if not ctx and tokens is not None:
        with open(tokens, "rb") as f:
            npy = f.read(6) == b"\x93NUMPY"
        if npy:
            shape = np.load(tokens, mmap_mode="r").shape
            ctx = shape[1] if len(shape) == 2 else 0
        else:
            with Reader(tokens, allow_truncated=True) as r:
                ctx = r.header.n_ctx
    per_chunk = ctx - 1 - ctx // 2 if ctx >= 2 else 0
    if per_chunk <= 0:
        return 1  # the task reports the engine's own refusal
    return max(1, math.ceil(rows / per_chunk))


def compare_files(client, base, *models, chunks_per_task=None,
                  mode="llamacpp", threads=1, percentiles="exact",
                  tokens=None, n_ctx=None, force=False, measures=None,
                  top_k=None):
    """kldkit.compare_files on a dask.distributed `client`: one Report per
    model, identical to the single-process one. chunks_per_task: whole
    chunks per task (None: about four tasks per worker thread). threads:
    per task (kernels and .kldz decoding). Other keywords as
    kldkit.compare_files's. A refusal or any task's failure raises
    kldkit.dask.Error (a kldkit.Error) naming the chunk range and the file;
    the engine's warnings (from the first task) go through the warnings
    module."""
    if not models:
        raise ValueError("compare_files needs at least one model file")
    if chunks_per_task is not None and chunks_per_task < 1:
        raise ValueError("chunks_per_task must be at least 1")
    _kernels.mode_value(mode)  # refuse a bad option before any task runs
    options = dict(mode=mode, threads=threads, tokens=tokens, n_ctx=n_ctx,
                   force=force)
    accumulator = dict(percentiles=percentiles, measures=measures,
                       top_k=top_k)
    n = _chunk_count(base, models, tokens, n_ctx)
    step = chunks_per_task or max(1, math.ceil(
        n / (4 * max(1, sum(client.nthreads().values())))))
    # pure=False: equal arguments must not share a result (files change).
    # The last range is open (end 0: through the last chunk), so no chunk
    # is left out whatever the count above says; the engine checks the rest.
    futures = [client.submit(_compare_range, base, models, c,
                             0 if c + step >= n else c + step, options,
                             accumulator, pure=False)
               for c in range(0, n, step)]
    try:
        results = client.gather(futures)  # raises the first failure
    finally:
        client.cancel(futures)
    with contextlib.ExitStack() as stack:
        accs = [stack.enter_context(Accumulator(**accumulator))
                for _ in models]
        for states, _ in results:  # in chunk order
            for acc, state in zip(accs, states):
                acc.decode_merge(state)
        for message in results[0][1]:
            warnings.warn(message, RuntimeWarning, stacklevel=2)
        return [a.report() for a in accs]
