"""The station's use cases, Qt-free: intake, capture and page operations, checking and the QC gate,
metadata, assembly and signing (clerk, SAO Y), upload, the demo script.

The window (``scanstation.ui``), the command line (``scanstation.cli``) and the demo only call
these functions, so a rule enforced here holds on every path. They work on a
:class:`~scanstation.flow.session.DossierSession` (station, dossier, work area, journaled state),
never on a window object; the capability packages meet here and only here.
"""

from __future__ import annotations

from scanstation.flow.session import DossierSession, attach, exclusive, new_dossier, open_dossier
from scanstation.flow.station import Station, Unfinished, assemble_dossier, station_home

__all__ = ["DossierSession", "Station", "Unfinished", "assemble_dossier", "attach", "exclusive", "new_dossier",
           "open_dossier", "station_home"]
