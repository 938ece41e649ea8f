"""A linear programme assembled from blocks of variables and rows, handed to HiGHS in one call.

The dispatch model declares variables as named blocks (``imp`` = one per step, ``ev[S3]`` =
one per step the car is present) and rows as sparse triplets; :meth:`Lp.solve` builds one
column-wise matrix (scipy) and passes it to HiGHS through ``highspy`` — no per-element calls
into the solver, which is what keeps building a 96-step plan in milliseconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

INF = highspy.kHighsInf


@dataclass(frozen=True)
class Solution:
    """What HiGHS returned: status, primal values per column, duals per row and timings."""

    status: str
    x: F64
    row_dual: F64
    objective: float
    build_s: float
    solve_s: float
    columns: int
    rows: int
    nonzeros: int


class Lp:
    """Columns and rows of a minimisation LP, collected as numpy blocks."""

    def __init__(self) -> None:
        self._lb: list[F64] = []
        self._ub: list[F64] = []
        self._cost: list[F64] = []
        self.n = 0
        self._r: list[I64] = []
        self._c: list[I64] = []
        self._v: list[F64] = []
        self._row_lb: list[F64] = []
        self._row_ub: list[F64] = []
        self.m = 0
        self.started = time.perf_counter()

    def variables(
        self, size: int, lb: F64 | float = 0.0, ub: F64 | float = INF, cost: F64 | float = 0.0
    ) -> I64:
        """Add ``size`` columns; returns their indices."""
        idx = np.arange(self.n, self.n + size, dtype=np.int64)
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=np.float64), (size,)))
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=np.float64), (size,)))
        self._cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (size,)))
        self.n += size
        return idx

    def rows(self, size: int, lb: F64 | float, ub: F64 | float) -> I64:
        """Add ``size`` rows with bounds ``lb ≤ a·x ≤ ub``; fill them with :meth:`coef`."""
        idx = np.arange(self.m, self.m + size, dtype=np.int64)
        self._row_lb.append(np.broadcast_to(np.asarray(lb, dtype=np.float64), (size,)))
        self._row_ub.append(np.broadcast_to(np.asarray(ub, dtype=np.float64), (size,)))
        self.m += size
        return idx

    def coef(self, rows: I64 | int, cols: I64 | int, values: F64 | float) -> None:
        """Add coefficients ``a[rows, cols] += values`` (broadcast together)."""
        r, c, v = np.broadcast_arrays(
            np.asarray(rows, dtype=np.int64),
            np.asarray(cols, dtype=np.int64),
            np.asarray(values, dtype=np.float64),
        )
        self._r.append(r.ravel())
        self._c.append(c.ravel())
        self._v.append(v.ravel())

    def solve(self, time_limit_s: float = 30.0) -> Solution:
        """Build the column-wise matrix and solve with HiGHS (dual simplex is its LP default)."""
        r = np.concatenate(self._r) if self._r else np.zeros(0, dtype=np.int64)
        c = np.concatenate(self._c) if self._c else np.zeros(0, dtype=np.int64)
        v = np.concatenate(self._v) if self._v else np.zeros(0)
        a = sp.csc_matrix((v, (r, c)), shape=(self.m, self.n))  # duplicates are summed
        a.eliminate_zeros()
        lp = highspy.HighsLp()
        lp.num_col_ = self.n
        lp.num_row_ = self.m
        lp.col_cost_ = np.concatenate(self._cost)
        lp.col_lower_ = np.concatenate(self._lb)
        lp.col_upper_ = np.concatenate(self._ub)
        lp.row_lower_ = np.concatenate(self._row_lb) if self._row_lb else np.zeros(0)
        lp.row_upper_ = np.concatenate(self._row_ub) if self._row_ub else np.zeros(0)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(time_limit_s))
        h.passModel(lp)
        built = time.perf_counter()
        h.run()
        solved = time.perf_counter()
        status = h.modelStatusToString(h.getModelStatus())
        sol = h.getSolution()
        ok = status == "Optimal"
        return Solution(
            status=status,
            x=np.asarray(sol.col_value, dtype=np.float64) if ok else np.full(self.n, np.nan),
            row_dual=np.asarray(sol.row_dual, dtype=np.float64) if ok else np.full(self.m, np.nan),
            objective=float(h.getInfo().objective_function_value) if ok else float("nan"),
            build_s=built - self.started,
            solve_s=solved - built,
            columns=self.n,
            rows=self.m,
            nonzeros=int(a.nnz),
        )
