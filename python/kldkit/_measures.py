"""The measures beyond llama.cpp's (docs/measures.md): the library's
descriptor table, read through the C ABI, and a report's measure
quantities shaped by kind, as the JSON report's "measures" member is."""
import ctypes
import dataclasses
import functools
from typing import Dict, Optional, Tuple

from . import _lib

BUCKET_EDGES = (0.0, 0.25, 0.5, 0.75, 0.95, 1.0)
KLD_PERCENTILES = (0.999, 0.99, 0.95, 0.90, 0.5, 0.10, 0.05, 0.01, 0.001)


@dataclasses.dataclass(frozen=True)
class MeasureInfo:
    id: int
    name: str
    label: str
    kind: int  # _lib.MEASURE_MEAN ...
    slot: int
    slots: int


@functools.lru_cache(maxsize=None)
def measure_table() -> Tuple[MeasureInfo, ...]:
    """Every measure the library defines, in id order."""
    out = []
    for i in range(_lib.lib.kldkit_measure_count()):
        c = _lib.new(_lib.MeasureInfo)
        _lib.check(_lib.lib.kldkit_measure_describe(ctypes.byref(c), i))
        out.append(MeasureInfo(c.id, c.name.decode(), c.label.decode(),
                               c.kind, c.slot, c.slots))
    return tuple(out)


def measure_mask(measures) -> int:
    """None -> 0; "all" -> every measure; names (a str or an iterable of
    them) -> their bits. ValueError names an unknown measure."""
    if measures is None:
        return 0
    if isinstance(measures, str):
        measures = [measures]
    by_name = {m.name: m for m in measure_table()}
    mask = 0
    for name in measures:
        if name == "all":
            mask |= sum(1 << m.id for m in measure_table())
        elif name in by_name:
            mask |= 1 << by_name[name].id
        else:
            raise ValueError(f"no measure is called {name!r}; known: "
                             + ", ".join(by_name))
    return mask


def top_k_array(top_k: Optional[Tuple[int, ...]]):
    """A top_k list as the C struct's array (default 5, 10)."""
    ks = tuple(top_k) if top_k is not None else (5, 10)
    if len(ks) > _lib.MAX_TOP_K_COUNT:
        raise ValueError(f"top_k: at most {_lib.MAX_TOP_K_COUNT} values")
    return (ctypes.c_uint32 * _lib.MAX_TOP_K_COUNT)(*ks)


@dataclasses.dataclass(frozen=True)
class MeanMeasure:
    tokens: int
    skipped: int
    mean: float
    uncertainty: float
    min: float
    max: float
    percentiles: Optional[Dict[float, float]] = None  # mean-percentile kind


@dataclasses.dataclass(frozen=True)
class RateMeasure:
    tokens: int
    base: float
    base_uncertainty: float
    model: float
    model_uncertainty: float


@dataclasses.dataclass(frozen=True)
class BucketMeasure:
    lower: float
    upper: float
    tokens: int
    mean_kld: float
    mean_kld_uncertainty: float
    same_top: float


def _mean(s, with_percentiles):
    pct = (dict(zip(KLD_PERCENTILES, s.percentiles)) if with_percentiles
           else None)
    return MeanMeasure(s.n, s.n_skipped, s.mean.value, s.mean.uncertainty,
                       s.min, s.max, pct)


def report_measures(c, has_percentiles) -> Dict[str, object]:
    """A kldkit_report's measure quantities by measure name: MeanMeasure;
    {K: MeanMeasure} (per-K kind); {K: RateMeasure} (target rank kind);
    [BucketMeasure] (buckets kind)."""
    stats = [c.measure_stats[i] for i in range(c.n_measure_stats)]
    out = {}
    for m in measure_table():
        mine = [s for s in stats if s.measure == m.id]
        if not mine:
            continue
        if m.kind == _lib.MEASURE_MEAN:
            out[m.name] = _mean(mine[0], False)
        elif m.kind == _lib.MEASURE_MEAN_PERCENTILES:
            out[m.name] = _mean(mine[0], has_percentiles)
        elif m.kind == _lib.MEASURE_PER_K:
            out[m.name] = {s.k: _mean(s, False) for s in mine}
        elif m.kind == _lib.MEASURE_TARGET_RANK:
            out[m.name] = {s.k: RateMeasure(s.n, s.mean.value,
                                            s.mean.uncertainty,
                                            s.second.value,
                                            s.second.uncertainty)
                           for s in mine}
        elif m.kind == _lib.MEASURE_BUCKETS:
            out[m.name] = [BucketMeasure(BUCKET_EDGES[s.k],
                                         BUCKET_EDGES[s.k + 1], s.n,
                                         s.mean.value, s.mean.uncertainty,
                                         s.second.value) for s in mine
                           if s.k + 1 < len(BUCKET_EDGES)]
    return out


def token_values(result, top_k) -> Dict[str, object]:
    """One token's measure values by name, from a kldkit_token_result:
    a float; {K: overlap} (per-K kind); (rank under the base, under the
    model) (target rank kind); the base's top-1 probability (buckets)."""
    out = {}
    for m in measure_table():
        if not result.measures_mask >> m.id & 1:
            continue
        v = result.measures[m.slot:m.slot + m.slots]
        if m.kind == _lib.MEASURE_PER_K:
            out[m.name] = {k: x for k, x in zip(top_k, v) if k}
        elif m.kind == _lib.MEASURE_TARGET_RANK:
            out[m.name] = (int(v[0]), int(v[1]))
        else:
            out[m.name] = v[0]
    return out
