"""The numpy pieces of the BERT forward pass that semantic.Encoder runs: one transformer
layer's weights, the exact GELU (numpy has no erf), and BLAS kept on one thread."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

# GELU needs erf, which numpy lacks: Abramowitz & Stegun 7.1.26 gives erfc(z) for z >= 0 as
# t * P(t) * exp(-z**2), t = 1 / (1 + p*z), with |error| < 1.5e-7.
_ERFC_P = 0.3275911
_ERFC_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def one_blas_thread() -> None:
    """Run BLAS on one thread (the whole process: only the meaning signal uses numpy).

    One message's matrices are small (at most ~256 x 1536): a second thread saves little on an
    idle machine, and when the cores are busy (other processes, a reload building an index)
    every matrix product waits for a descheduled helper thread: measured on 2 cores, 10-17x
    slower per call and tails of seconds. threadpoolctl comes with the `semantic` extra;
    without it, or when the operator sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS /
    MKL_NUM_THREADS, BLAS keeps its own setting.
    """
    if any(
        os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    ):
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1, user_api="blas")


@dataclass(frozen=True, slots=True)
class Layer:
    """One transformer layer's weights, as (in, out) contiguous float32 matrices."""

    qkv: Any  # (d, 3d): query (pre-scaled by 1/sqrt(head size)), key, value side by side
    qkv_bias: Any
    out: Any  # (d, d): attention output
    out_bias: Any
    ln1: tuple[Any, Any]
    up: Any  # (d, 4d)
    up_bias: Any
    down: Any  # (4d, d)
    down_bias: Any
    ln2: tuple[Any, Any]


def gelu(np: Any, h: Any) -> Any:
    """Exact (erf) GELU in float32: h * Phi(h) = max(h, 0) - |h|/2 * erfc(|h|/sqrt 2)."""
    a = np.abs(h)
    t = a * np.float32(_ERFC_P / math.sqrt(2.0))
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    p = t * np.float32(_ERFC_A[4])
    for c in _ERFC_A[3:0:-1]:
        p += np.float32(c)
        p *= t
    p += np.float32(_ERFC_A[0])
    p *= t
    e = np.square(h)
    e *= np.float32(-0.5)
    np.exp(e, out=e)
    p *= e
    p *= a
    p *= np.float32(0.5)
    np.maximum(h, np.float32(0.0), out=a)
    a -= p
    return a
