"""KldzWriter: a .kldz base file written straight from float logits,
chunk by chunk (kldkit_kldz_writer), with no llama.cpp file anywhere."""
import ctypes
import os
import weakref

import numpy as np

from . import _arrays, _lib
from ._reader import _c_string

APPENDED_ROW_DTYPE = np.dtype(_lib.AppendedRow)


def _as_rows(array, name):
    a = np.asarray(array)
    return a.reshape(1, -1) if a.ndim == 1 else a


class KldzWriter:
    """A .kldz base file, appended in llama.cpp row order (chunk after chunk,
    scored positions n_ctx/2 .. n_ctx-2). A context manager: leaving the
    with-block normally closes it, an exception (or forgetting close())
    leaves no file. Memory: a few blocks, whatever the file size."""

    def __init__(self, path, *, n_ctx, n_vocab, tokens, level=1, threads=1,
                 metadata=None, floor=16.0, keep="all", allow_partial=False):
        t = np.ascontiguousarray(tokens, dtype=np.int32).ravel()
        items = [(_c_string(k, "key"), _c_string(v, "value"))
                 for k, v in (metadata or {}).items()]
        entries = (_lib.KldzMetadata * max(len(items), 1))(*items)
        if keep not in _lib.KEEP_PROFILES:
            raise ValueError(f"keep must be one of {sorted(_lib.KEEP_PROFILES)}")
        opt = _lib.new(_lib.KldzOptions, level=level, threads=threads,
                       metadata=entries, n_metadata=len(items),
                       keep=_lib.KEEP_PROFILES[keep], floor=floor,
                       allow_partial=int(bool(allow_partial)))
        handle = ctypes.c_void_p()
        _lib.check(_lib.lib.kldkit_kldz_writer_create(
            ctypes.byref(handle), os.fsencode(path), n_ctx, n_vocab,
            _arrays.ptr(t), t.size, ctypes.byref(opt)))
        self._handle = handle
        self._finalizer = weakref.finalize(
            self, _lib.lib.kldkit_kldz_writer_free, handle)
        self.n_vocab, self.floor = n_vocab, floor

    def append_logits(self, logits, *, strict=False):
        """Quantizes float32/float16 logits (one row, or [rows, n_vocab]) as
        llama.cpp does (strict: its exact bytes) on the writer's threads and
        appends them, all or nothing. Returns an APPENDED_ROW_DTYPE array:
        each row's log_sum_exp and the NLL of its target token, as
        llama.cpp's base run computes them (exp(mean nll) is its PPL)."""
        a, row_type = _arrays.float_rows(_as_rows(logits, "logits"), "logits")
        if a.shape[-1] != self.n_vocab:
            raise ValueError(f"logits: rows of {a.shape[-1]}, expected "
                             f"n_vocab {self.n_vocab}")
        batch = _arrays.c_batch(a, row_type, self.n_vocab, "logits")
        q = _lib.new(_lib.QuantizeOptions, floor=self.floor,
                     strict=int(bool(strict)))
        out = np.zeros(a.shape[0], dtype=APPENDED_ROW_DTYPE)
        out["struct_size"] = APPENDED_ROW_DTYPE.itemsize
        _lib.check(_lib.lib.kldkit_kldz_writer_append_logits_batch(
            self.handle, ctypes.byref(batch), ctypes.byref(q),
            _arrays.ptr(out), out.size))
        return out

    def append_rows(self, rows):
        """Appends rows already quantized (uint16, kldkit_llama_row_words
        each; one row or [rows, words])."""
        a = np.ascontiguousarray(_as_rows(rows, "rows"), dtype=np.uint16)
        for r in a:
            _lib.check(_lib.lib.kldkit_kldz_writer_append_row(
                self.handle, _arrays.ptr(r), r.size))

    @property
    def handle(self):
        if not self._finalizer.alive:
            raise _lib.Error(_lib.CLOSED, "KldzWriter is closed")
        return self._handle

    def close(self):
        """Completes the file (MISMATCH if rows are missing, unless
        allow_partial); on failure nothing is left at the path."""
        try:
            _lib.check(_lib.lib.kldkit_kldz_writer_close(self.handle))
        finally:
            self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:
            self._finalizer()  # no file: the run failed
