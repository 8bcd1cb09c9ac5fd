"""The station's trust store from its settings: shipped anchors + IT staff's additions, minus disabled, + test CAs.

Every door that judges a signature (signing's own check, ``verify``, ``tokens``, ``queue add``, bundle
import, the check just before each upload) builds its trust here, so they all trust the same CAs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scanstation.config import Settings
from scanstation.signing.trust import TrustStore, build_trust_store


def station_trust(settings: Settings | None = None, *, extra: Sequence[str | Path] = (),
                  test: Sequence[str | Path] = ()) -> TrustStore:
    """The trust store of this station (``extra``: more anchors for one command, e.g. ``--trust``)."""
    settings = settings or Settings()
    return build_trust_store(extra_files=[*settings.get("signing.trust_roots"), *extra],
                             test_files=[*settings.get("signing.trust_test_ca"), *test],
                             disabled=settings.get("signing.trust_disabled"))
