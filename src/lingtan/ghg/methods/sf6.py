r"""SF6 from electrical switchgear, for every enterprise that owns SF6-insulated equipment, in the
form of the grid-company guideline (《中国电网企业温室气体排放核算方法与报告指南（试行）》,
修理/退役设备 SF6 排放): the nameplate charge of equipment retired or repaired minus the SF6
recovered from it.

.. math:: E_{SF6} = \sum_i (REC_{容量,i} - REC_{回收,i})
"""

from __future__ import annotations

from lingtan.carbon.citation import Clause, cites
from lingtan.carbon.methods._checks import ArrayLike, non_negative
from lingtan.errors import InvalidInput
from lingtan.ghg.gases import GasAmounts
from lingtan.ghg.methods._util import aligned


@cites(
    Clause(
        "《中国电网企业温室气体排放核算方法与报告指南（试行）》",
        "修理和退役设备的 SF6 排放",
        "E_SF6 = Σ (REC容量_i − REC回收_i)",
        False,
    )
)
def switchgear(nameplate: ArrayLike, recovered: ArrayLike) -> GasAmounts:
    r"""SF6 released from equipment retired or opened for repair in the period.

    Parameters
    ----------
    nameplate : float or sequence of float
        Nameplate SF6 charge of each piece of equipment. [t]
    recovered : float or sequence of float
        SF6 recovered from it. [t]

    Returns
    -------
    GasAmounts
        Tonnes of SF6.

    Notes
    -----
    .. math:: E_{SF6} = \sum_i (REC_{容量,i} - REC_{回收,i})
    """
    cap, rec = aligned(
        nameplate=non_negative("nameplate", nameplate),
        recovered=non_negative("recovered", recovered),
    )
    if (rec > cap).any():
        raise InvalidInput(
            "recovered: more SF6 recovered than the nameplate charge", field="recovered"
        )
    return GasAmounts({"SF6": float((cap - rec).sum())})
