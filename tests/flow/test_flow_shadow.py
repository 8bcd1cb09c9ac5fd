"""Nothing forged passes: a page painted over after the clerk signed is refused before it is queued."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from scanstation.errors import UnsignedFileError
from scanstation.flow import checking, signing
from scanstation.flow.capture import CaptureAction, scan
from scanstation.model import DossierStatus
from scanstation.store.tables import OutboxRow
from tests.flow.conftest import demo_plan


def _paint_over_page_1(path):
    """The shadow attack: an incremental update that covers page 1 with other content (no signature broken)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()))
    stream = generic.StreamObject(stream_data=b"q 1 1 1 rg 0 0 2000 2000 re f 0 0 0 rg Q")
    w.add_stream_to_page(0, w.add_object(stream))
    out = io.BytesIO()
    w.write(out)
    path.write_bytes(out.getvalue())


def test_a_page_replaced_after_the_clerk_signed_is_never_queued(sample_session, demo_token):
    s = sample_session
    for comp, seed in (("GCS", 1), ("VBUQ", 5)):
        scan(s, CaptureAction(component_id=comp, device="virtual:demo", options=(f"seed={seed}",)))
    checking.check(s)
    for f in checking.blocking(s):
        checking.override(s, f.id, "đã đối chiếu bản gốc")
    plan = demo_plan(s.station, demo_token)
    signing.sign(s, "clerk", token_label=demo_token.clerk_label, pin=demo_token.pin, plan=plan)
    target = s.workarea.root / "signed" / s.dossier.outputs[0].file_name
    _paint_over_page_1(target)
    with pytest.raises(UnsignedFileError) as e:
        signing.sign(s, "copy", token_label=demo_token.org_label, pin=demo_token.pin, plan=plan)
    assert target.name in e.value.message_en and "after" in e.value.message_en
    assert s.dossier.status == DossierStatus.SIGNED
    with s.station.store.session() as db:
        assert db.scalar(select(OutboxRow)) is None
    # the same file offered to the queue by hand is refused too
    from scanstation.flow.upload import check_signed_for_queue

    with pytest.raises(UnsignedFileError):
        check_signed_for_queue(target, [str(demo_token.ca_pem)])
