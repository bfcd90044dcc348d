"""Importers: research trust networks (SNAP signed edge lists, KONECT) and FollowTheMoney entities.

Each research importer returns canonical ``organizations`` and ``referrals`` frames (every user becomes an
organisation named after its id or its user name, every rating a referral with an id derived from
its source, target and date), validated like any dataset. :func:`merge_import` keeps only what a
store does not hold yet, so that an import never overwrites rows it did not create.

:func:`read_ftm` reads FollowTheMoney entities (OpenSanctions' format) into organisations,
positions, partnerships and listings, validated like a dataset (docs/importers.md).
"""

from __future__ import annotations

from .ftm import FtmImport, read_ftm
from .merge import merge_import
from .research import FORMATS, check_import_date, read_konect, read_snap_signed, referral_ids

__all__ = ["FORMATS", "read_snap_signed", "read_konect", "merge_import", "referral_ids", "check_import_date",
           "read_ftm", "FtmImport"]
