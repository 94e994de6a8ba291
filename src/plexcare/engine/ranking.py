"""The order answers are listed in: the most probable first, near-equal ones in knowledge-base
order.

One case alone (`assess`) and many at once (`assess_batch`) sum the same terms in a different
order, so their probabilities agree only to about 1e-15. Where two answers are equally likely
(a left and a right lumbosacral trunk lesion in a case with nothing to tell the sides apart),
ranking on the raw numbers would let that rounding noise decide which is listed first, and the
two paths would list them differently. Probabilities within `TIED` of the one ranked above them
are therefore tied, and tied answers keep the knowledge base's order, in both paths.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TIED = 1e-12
"""Probabilities closer than this are the same answer computed two ways (the paths differ by
about 1e-15; a clinically different answer differs by far more)."""


def probability_order(probabilities: FloatArray) -> IntArray:
    """Every column, the most probable first; tied runs in column (knowledge-base) order."""
    order = np.argsort(-probabilities, kind="stable")
    values = probabilities[order]
    run = np.zeros(len(order), dtype=np.int64)
    np.cumsum(values[:-1] - values[1:] > TIED, out=run[1:])
    result: IntArray = order[np.lexsort((order, run))]
    return result


def _ranked_rows(probabilities: FloatArray) -> IntArray:
    """`probability_order` for every row of a (rows × columns) table."""
    columns = probabilities.shape[1]
    order = np.argsort(-probabilities, axis=1, kind="stable")
    values = np.take_along_axis(probabilities, order, axis=1)
    run = np.zeros(order.shape, dtype=np.int64)
    np.cumsum(values[:, :-1] - values[:, 1:] > TIED, axis=1, out=run[:, 1:])
    result: IntArray = np.take_along_axis(order, np.argsort(run * columns + order, axis=1), axis=1)
    return result


def leading_columns(probabilities: FloatArray, top: int) -> IntArray:
    """The first `top` columns of `probability_order` for every row of a (rows × columns) table.

    Only the `top + 1` largest of a row are sorted (a partition, not a full sort); a row whose
    leaders are not all more than `TIED` apart is ranked in full.
    """
    rows, columns = probabilities.shape
    top = min(top, columns)
    if rows == 0 or top == 0:
        return np.zeros((rows, top), dtype=np.int64)
    if top + 1 > columns:
        return _ranked_rows(probabilities)[:, :top]
    part = np.argpartition(-probabilities, np.arange(top + 1), axis=1)[:, : top + 1]
    values = np.take_along_axis(probabilities, part, axis=1)
    unclear = np.flatnonzero((values[:, :-1] - values[:, 1:] <= TIED).any(axis=1))
    result: IntArray = part[:, :top].astype(np.int64)
    if unclear.size:
        result[unclear] = _ranked_rows(probabilities[unclear])[:, :top]
    return result
