"""compare_files: the library's evaluation engine (kldkit_compare_files),
the same pass and the same reports as `kldkit compare` and `kldkit rank`."""
import ctypes
import os
import warnings

from . import _kernels, _lib
from ._metrics import Accumulator, Report


class _Callbacks:
    """C callbacks for one call; a Python exception cancels the call (or is
    kept, for callbacks that cannot cancel) and is re-raised after it."""

    def __init__(self, progress, on_chunk):
        self.errors = []
        self.keep = []  # the CFUNCTYPE objects must outlive the call
        self.progress, self.on_chunk = progress, on_chunk

    def wire(self, opt):
        if self.progress is not None:
            opt.progress = self._c(_lib.PROGRESS_FN, self._progress)
        if self.on_chunk is not None:
            opt.on_chunk = self._c(_lib.CHUNK_FN, self._chunk)
        opt.on_warning = self._c(_lib.WARNING_FN, self._warning)

    def _c(self, fn_type, fn):
        self.keep.append(fn_type(fn))
        return self.keep[-1]

    def _progress(self, _user, done, total):
        try:
            return 1 if self.progress(done, total) else 0
        except BaseException as e:  # never unwind through C
            self.errors.append(e)
            return 1

    def _chunk(self, _user, chunk, running, n):
        if self.errors:
            return
        try:
            self.on_chunk(chunk, [Report._from_c(running[i])
                                  for i in range(n)])
        except BaseException as e:
            self.errors.append(e)

    def _warning(self, _user, message):
        warnings.warn(message.decode("utf-8", "replace"), RuntimeWarning,
                      stacklevel=3)


def compare_files(base, *models, mode="llamacpp", threads=1,
                  percentiles="exact", tokens=None, n_ctx=None, force=False,
                  progress=None, on_chunk=None, measures=None, top_k=None,
                  chunk_range=None, into=None, save_tokens=None):
    """Compares the base file with each model file (llama.cpp files, .kldz
    containers, float .npy logits in llama.cpp row order; a float base is
    quantized as llama.cpp stores it) in one pass of bounded memory and
    returns one Report per model, in order: the numbers `kldkit compare`
    prints. tokens/n_ctx: token ids when no file stores them. progress(done,
    total) may return True to cancel (kldkit.Error, status CANCELLED);
    on_chunk(chunk, [running Report per model]) gets llama.cpp's per-chunk
    totals (percentiles NaN). measures ("all" or names) and top_k: the
    measures beyond llama.cpp's, in each Report's .measures. Warnings go
    through the warnings module. chunk_range=(begin, end): chunks [begin,
    end) only (end 0: through the last); ranges that tile the file give
    states whose merge is the whole run's. into: one Accumulator per model
    to fold into (theirs are the options; percentiles, measures and top_k
    are then unused), kept open for serialize(). save_tokens: one path per
    model (None: not that model), each model's per-token results kept in a
    token file that `kldkit rank` ranks without the rows (written only when
    the call succeeds)."""
    if not models:
        raise ValueError("compare_files needs at least one model file")
    if into is not None and len(into) != len(models):
        raise ValueError("into: one accumulator per model")
    accs = list(into) if into is not None else [
        Accumulator(percentiles, measures=measures, top_k=top_k)
        for _ in models]
    if save_tokens is not None and len(save_tokens) != len(models):
        raise ValueError("save_tokens: one path (or None) per model")
    begin, end = chunk_range if chunk_range is not None else (0, 0)
    try:
        opt = _lib.new(_lib.CompareFilesOptions,
                       mode=_kernels.mode_value(mode), threads=int(threads),
                       force=int(bool(force)), n_ctx=int(n_ctx or 0),
                       tokens_path=None if tokens is None
                       else os.fsencode(tokens),
                       chunk_begin=int(begin), chunk_end=int(end))
        if save_tokens is not None:
            opt.save_tokens = (ctypes.c_char_p * len(models))(
                *[None if p is None else os.fsencode(p) for p in save_tokens])
        calls = _Callbacks(progress, on_chunk)
        calls.wire(opt)
        handles = (ctypes.c_void_p * len(accs))(*[a.handle.value for a in accs])
        paths = (ctypes.c_char_p * len(models))(*map(os.fsencode, models))
        status = _lib.lib.kldkit_compare_files(
            handles, os.fsencode(base), paths, len(models), ctypes.byref(opt))
        if calls.errors:
            raise calls.errors[0]
        _lib.check(status)
        return [a.report() for a in accs]
    finally:
        if into is None:
            for a in accs:
                a.close()
