"""Statistics of the time series of an unsteady run: the time-weighted mean of a monitor and the
confidence interval of that mean by non-overlapping batch means; the first time a series reaches
a level (a chip its limit).

A time series of a flow monitor (a pressure drop behind shedding pins, say) is correlated from
step to step, so the textbook ``s / sqrt(n)`` understates the error of its mean by far. The
batch-means method splits the record into ``b`` batches of equal duration; when a batch is long
against the correlation time, the batch means are nearly independent and normal, and
``t_{b-1} s_b / sqrt(b)`` bounds the error of the grand mean (Law, A. M. (2015) *Simulation
Modeling and Analysis*, 5th ed., McGraw-Hill, section 9.5.3; Schmeiser, B. (1982) Oper. Res.
30:556-568 for 10-30 batches). The lag-1 correlation of the batch means is returned so that a
caller can see whether the batches were long enough (near zero: yes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit


@dataclass(frozen=True)
class MeanEstimate:
    """Time-weighted mean of a series and the confidence interval of that mean.

    Attributes
    ----------
    mean : float
        Time-weighted mean (unit of the series).
    half_width : float
        Half-width of the confidence interval of the mean (unit of the series).
    rms : float
        Time-weighted root-mean-square fluctuation about the mean (unit of the series).
    batch_means : tuple of float
        Mean of each batch of equal duration.
    lag1_correlation : float
        Lag-1 autocorrelation of the batch means (nan for fewer than three batches).
    confidence : float
        Confidence level of ``half_width``, e.g. 0.95.
    """

    mean: float
    half_width: float
    rms: float
    batch_means: tuple
    lag1_correlation: float
    confidence: float

    @property
    def relative_half_width(self) -> float:
        """``half_width / |mean|`` (inf for a zero mean with a non-zero interval)."""
        if self.half_width == 0.0:
            return 0.0
        return self.half_width / abs(self.mean) if self.mean != 0.0 else np.inf

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {"mean": self.mean, "half_width": self.half_width, "rms": self.rms,
                "relative_half_width": self.relative_half_width, "batches": len(self.batch_means),
                "lag1_correlation": self.lag1_correlation, "confidence": self.confidence}


def batch_means(values, weights=None, batches: int = 10, confidence: float = 0.95) -> MeanEstimate:
    """Mean of a (time-weighted) series with a batch-means confidence interval.

    Parameters
    ----------
    values : array_like, shape (n,)
        The series (any unit).
    weights : array_like, shape (n,), optional
        [s] duration each value stands for (the time step); equal weights by default.
    batches : int
        Number of batches of equal total weight (at least 2; 10-30 is usual).
    confidence : float
        Confidence level of the interval, in (0, 1).

    Returns
    -------
    MeanEstimate
    """
    values = np.asarray(values, dtype=float)
    weights = np.ones_like(values) if weights is None else np.asarray(weights, dtype=float)
    if values.ndim != 1 or weights.shape != values.shape:
        raise ValueError("values and weights must be 1-D arrays of the same length")
    if batches < 2 or values.size < batches:
        raise ValueError(f"batch means need at least 2 batches and one value per batch "
                         f"(got {batches} batches, {values.size} values)")
    if not 0.0 < confidence < 1.0 or np.any(weights <= 0.0):
        raise ValueError("confidence must lie in (0, 1) and weights must be positive")
    total = weights.sum()
    mean = float(weights @ values / total)
    rms = float(np.sqrt(weights @ (values - mean) ** 2 / total))
    # each value goes to the batch holding the middle of its time interval
    middle = np.cumsum(weights) - 0.5 * weights
    index = np.minimum((middle / total * batches).astype(int), batches - 1)
    batch_weight = np.bincount(index, weights, minlength=batches)
    if np.any(batch_weight == 0.0):
        raise ValueError("a batch holds no value: use fewer batches or more steps")
    means = np.bincount(index, weights * values, minlength=batches) / batch_weight
    spread = float(np.std(means, ddof=1))
    # Student's t quantile with batches - 1 degrees of freedom
    half_width = float(stdtrit(batches - 1, 0.5 * (1.0 + confidence)) * spread
                       / np.sqrt(batches))
    lag1 = np.nan
    if batches >= 3 and spread > 0.0:
        centred = means - means.mean()
        lag1 = float(centred[:-1] @ centred[1:] / (centred @ centred))
    return MeanEstimate(mean, half_width, rms, tuple(float(m) for m in means), lag1, confidence)


def first_crossing(times, values, level: float) -> float | None:
    """[s] the first time ``values`` reach ``level``, linear between the two records around the
    crossing (``times[0]`` when the first value is already there), or None when they never
    do."""
    values = np.asarray(values, dtype=float)
    above = np.flatnonzero(values >= level)
    if not above.size:
        return None
    k = int(above[0])
    if k == 0:
        return float(times[0])
    t0, t1, v0, v1 = times[k - 1], times[k], values[k - 1], values[k]
    return float(t0 + (level - v0) / (v1 - v0) * (t1 - t0))
