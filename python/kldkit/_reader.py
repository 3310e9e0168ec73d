"""Reader over llama.cpp, .kldz and .npy files, and the .kldz tools."""
import ctypes
import dataclasses
import os
import weakref

import numpy as np

from . import _lib

_KINDS = {_lib.FILE_LLAMACPP: "llamacpp", _lib.FILE_NPY: "npy",
          _lib.FILE_KLDZ: "kldz"}


@dataclasses.dataclass(frozen=True)
class Header:
    """kldkit_reader_info: what an open file holds."""
    kind: str          # "llamacpp", "kldz" or "npy"
    row_type: int      # ROW_LLAMA_U16, ROW_F32, or 0xFFFFFFFF (tokens only)
    n_ctx: int
    n_chunk: int
    n_vocab: int
    n_rows: int
    n_rows_expected: int
    row_len: int
    n_tokens: int
    keep: str          # "all", or "kld" for a .kldz keeping what the
                       # statistics read (docs/floors.md)
    floor: float       # nats below each row's top (16 llama.cpp, 24 ik);
                       # a .kldz's recorded floor, else the first chunk's


_KEEP_NAMES = {v: k for k, v in _lib.KEEP_PROFILES.items()}


def _path(path):
    return os.fsencode(path)


def _text(raw):
    return raw.decode("utf-8", "surrogateescape")


def _c_string(text, what):
    """str (UTF-8) or bytes as a C string; a NUL inside would cut it."""
    raw = (text.encode("utf-8", "surrogateescape") if isinstance(text, str)
           else bytes(text))
    if b"\0" in raw:
        raise ValueError(f"metadata {what} {text!r} holds a NUL byte")
    return raw


class Reader:
    """A file of rows: rows come back as numpy arrays (uint16 llama.cpp rows
    for llama.cpp and .kldz files, float32 for .npy)."""

    def __init__(self, path, allow_truncated=False):
        opt = _lib.new(_lib.ReaderOptions,
                       allow_truncated=int(allow_truncated))
        handle = ctypes.c_void_p()
        _lib.check(_lib.lib.kldkit_reader_open(ctypes.byref(handle),
                                               _path(path), ctypes.byref(opt)))
        self._handle = handle
        self._finalizer = weakref.finalize(self, _lib.lib.kldkit_reader_free,
                                           handle)
        info = _lib.new(_lib.ReaderInfo)
        _lib.check(_lib.lib.kldkit_reader_info_get(ctypes.byref(info), handle))
        self.header = Header(_KINDS[info.kind], info.row_type, info.n_ctx,
                             info.n_chunk, info.n_vocab, info.n_rows,
                             info.n_rows_expected, info.row_len,
                             info.n_tokens, _KEEP_NAMES[info.keep],
                             info.floor)
        self.metadata = self._read_metadata()

    def _read_metadata(self):
        """A .kldz container's metadata as {key: value} strings (UTF-8;
        other bytes come back as surrogate escapes); {} for other files."""
        count = ctypes.c_size_t()
        _lib.check(_lib.lib.kldkit_reader_metadata_count(ctypes.byref(count),
                                                         self._handle))
        return {_text(_lib.bytes_out(_lib.lib.kldkit_reader_metadata_key,
                                     self._handle, i)):
                _text(_lib.bytes_out(_lib.lib.kldkit_reader_metadata_value,
                                     self._handle, i))
                for i in range(count.value)}

    def close(self):
        if self._finalizer.alive:
            self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _h(self):
        if not self._finalizer.alive:
            raise _lib.Error(_lib.CLOSED, "the reader is closed")
        return self._handle

    def tokens(self):
        out = np.empty(self.header.n_tokens, dtype=np.int32)
        _lib.check(_lib.lib.kldkit_reader_read_tokens(
            out.ctypes.data_as(ctypes.c_void_p), out.size, self._h(), 0))
        return out

    def targets(self, first=0, count=None):
        """Token ids predicted by rows [first, first + count)."""
        count = self.header.n_rows - first if count is None else count
        out = np.empty(count, dtype=np.int32)
        token = ctypes.c_int32()
        for i in range(count):
            _lib.check(_lib.lib.kldkit_reader_target_token(
                ctypes.byref(token), self._h(), first + i))
            out[i] = token.value
        return out

    def row(self, index):
        return self.rows(index, 1)[0]

    def rows(self, first=0, count=None, threads=1):
        """Rows [first, first + count) as one 2-D array; a .kldz decodes on
        `threads` threads (1..64; the rows do not depend on it)."""
        h = self.header
        count = h.n_rows - first if count is None else count
        if first < 0 or count < 0 or first + count > h.n_rows:
            raise _lib.Error(_lib.INVALID_ARGUMENT,
                             f"rows [{first}, {first + count}) requested, "
                             f"the file holds {h.n_rows}")
        is_u16 = h.row_type == _lib.ROW_LLAMA_U16
        out = np.empty((count, h.row_len),
                       dtype=np.uint16 if is_u16 else np.float32)
        if is_u16:
            _lib.check(_lib.lib.kldkit_reader_read_rows_u16(
                out.ctypes.data_as(ctypes.c_void_p), out.size, self._h(),
                first, count, _read_options(threads)))
            return out
        for i in range(count):
            _lib.check(_lib.lib.kldkit_reader_read_row_f32(
                out[i].ctypes.data_as(ctypes.c_void_p), h.row_len, self._h(),
                first + i))
        return out


def write_llama_file(path, n_ctx, tokens, logits, floor=16.0):
    """Writes a llama.cpp base file: `tokens` (n_ctx * n_chunk ids) and
    float `logits` of shape (n_chunk * rows per chunk, n_vocab), quantized
    as llama-perplexity --kl-divergence-base does. Nothing is left at
    `path` on failure."""
    t = np.ascontiguousarray(tokens, dtype=np.int32)
    rows = np.asarray(logits)
    if rows.ndim != 2:
        raise ValueError("logits: expected a 2-D array of rows")
    rows = np.ascontiguousarray(rows, dtype=np.float32)
    n_chunk = t.size // n_ctx if n_ctx else 0
    handle = ctypes.c_void_p()
    _lib.check(_lib.lib.kldkit_llama_writer_create(
        ctypes.byref(handle), _path(path), n_ctx, rows.shape[1], n_chunk,
        t.ctypes.data_as(ctypes.c_void_p), t.size))
    try:
        opt = _lib.new(_lib.QuantizeOptions, floor=floor, strict=0)
        for r in rows:
            row = _lib.Row(r.ctypes.data_as(ctypes.c_void_p), r.size,
                           _lib.ROW_F32)
            _lib.check(_lib.lib.kldkit_llama_writer_append_logits(
                handle, ctypes.byref(row), ctypes.byref(opt)))
        _lib.check(_lib.lib.kldkit_llama_writer_close(handle))
    finally:
        _lib.lib.kldkit_llama_writer_free(handle)
    return rows.shape[0]


def _rows_call(fn, *paths, options=None):
    rows = ctypes.c_uint64()
    extra = [] if options is None else [options]
    _lib.check(fn(ctypes.byref(rows), *[_path(p) for p in paths], *extra))
    return rows.value


def kldz_import(src, dst, level=1, threads=1, rows_per_block=0,
                metadata=None, keep="all"):
    """llama.cpp file -> .kldz; returns the rows stored. `metadata`: a
    {key: value} dict of str (or bytes) stored in the container, e.g.
    {"model": ..., "quant": ..., "dataset": ...}; Reader.metadata gives it
    back, with the "floor" of the rows the import adds. keep="kld" keeps
    only what llama.cpp's statistics read (docs/floors.md)."""
    if keep not in _lib.KEEP_PROFILES:
        raise ValueError(f"keep must be one of {sorted(_lib.KEEP_PROFILES)}")
    items = [(_c_string(k, "key"), _c_string(v, "value"))
             for k, v in (metadata or {}).items()]
    entries = (_lib.KldzMetadata * max(len(items), 1))(*items)
    opt = _lib.new(_lib.KldzOptions, level=level, threads=threads,
                   rows_per_block=rows_per_block, metadata=entries,
                   n_metadata=len(items), keep=_lib.KEEP_PROFILES[keep])
    rows = ctypes.c_uint64()
    _lib.check(_lib.lib.kldkit_kldz_import(ctypes.byref(rows), _path(dst),
                                           _path(src), ctypes.byref(opt)))
    return rows.value


def _read_options(threads):
    return ctypes.byref(_lib.new(_lib.KldzReadOptions, threads=threads))


def kldz_export(src, dst, threads=1):
    """.kldz -> the byte-identical llama.cpp file, decoded on `threads`
    threads (1..64); returns the rows."""
    return _rows_call(_lib.lib.kldkit_kldz_export_with, dst, src,
                      options=_read_options(threads))


def kldz_verify(path, threads=1):
    """Checks every block and checksum, decoding on `threads` threads
    (1..64); returns the row count."""
    return _rows_call(_lib.lib.kldkit_kldz_verify_with, path,
                      options=_read_options(threads))


def kldz_recover(src, dst):
    """Copies the valid blocks of an incomplete .kldz; returns the rows."""
    return _rows_call(_lib.lib.kldkit_kldz_recover, dst, src)
