"""Importers for research trust networks: SNAP signed edge lists and KONECT (Advogato).

Each importer returns canonical ``organizations`` and ``referrals`` frames (every user becomes an
organisation named after its id or its user name, every rating a referral), validated like any dataset.
"""

from __future__ import annotations

from .research import FORMATS, read_konect, read_snap_signed

__all__ = ["FORMATS", "read_snap_signed", "read_konect"]
