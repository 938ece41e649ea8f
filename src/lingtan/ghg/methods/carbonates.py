r"""Process CO2 from carbonates (general method): GB/T 32150-2015 process emissions, in the form of
the 2006 IPCC Guidelines Vol. 3 Ch. 2 Eq. 2.15 (other process uses of carbonates):

.. math:: E = \sum_i M_i \times EF_i \times F_i

:math:`M_i` carbonate consumed [t], :math:`EF_i` the stoichiometric factor [tCO2/t] (records
``ipcc2006.carbonate.*``), :math:`F_i` the fraction calcined [1] (1 unless measured lower).
"""

from __future__ import annotations

from lingtan.carbon.citation import Clause, cites
from lingtan.carbon.methods._checks import ArrayLike, non_negative
from lingtan.ghg.methods._util import product_sum, share


@cites(
    Clause(
        "2006 IPCC Guidelines Vol. 3 Ch. 2 / GB/T 32150-2015 工业生产过程排放",
        "2.5 other process uses of carbonates",
        "Eq. 2.15 E = Σ M_i × EF_i × F_i",
        False,
    )
)
def carbonates(
    consumption: ArrayLike, emission_factor: ArrayLike, calcined: ArrayLike = 1.0
) -> float:
    r"""CO2 from carbonates decomposed in a process.

    Parameters
    ----------
    consumption : float or sequence of float
        Carbonate (pure) consumed, M. [t]
    emission_factor : float or sequence of float
        Stoichiometric factor, EF. [tCO2/t]
    calcined : float or sequence of float
        Fraction calcined, F, in [0, 1]. [1]

    Returns
    -------
    float
        [tCO2]

    Notes
    -----
    .. math:: E = \sum_i M_i \times EF_i \times F_i
    """
    return product_sum(
        consumption=non_negative("consumption", consumption),
        emission_factor=non_negative("emission_factor", emission_factor),
        calcined=share("calcined", calcined),
    )
