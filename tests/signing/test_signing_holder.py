"""An organisation's certificate told from a person's by its subject, as Vietnamese CAs write it."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from scanstation.signing.certs import cert_info, holder_kind
from scanstation.signing.softtoken import issue_cert, make_ca, new_key


def _name(*attrs: tuple) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, v) for oid, v in attrs])


C, ORG, CN, UID = NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME, NameOID.USER_ID


@pytest.mark.parametrize("attrs,kind", [
    # an enterprise: tax code only
    (((C, "VN"), (CN, "CÔNG TY TNHH ANSTAR SOLUTIONS"), (UID, "MST:0319303270")), "organisation"),
    # a state body: tax code and budget-unit code, its name differs from its parent organisation's
    (((C, "VN"), (ORG, "ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG"), (CN, "SỞ Y TẾ"), (UID, "MST:0400260612"),
      (UID, "MNS:1047665")), "organisation"),
    # an employee: the employer's tax code AND a personal number -> the person's certificate
    (((C, "VN"), (ORG, "MobiFone IT"), (UID, "MST:0100686209-199"), (UID, "CCCD:025199009534"),
      (CN, "NGUYEN HONG NHUNG")), "person"),
    (((C, "VN"), (UID, "CMND:079073009568"), (UID, "MST:0301824642"), (CN, "Nguyễn Văn A")), "person"),
    (((C, "VN"), (CN, "Trần Văn Đức"), (UID, "cccd:001099000001")), "person"),   # prefix case ignored
    (((C, "VN"), (ORG, "UBND xã Tân Lợi"), (CN, "UBND xã Tân Lợi")), "organisation"),   # CN = O, no UID
    (((C, "VN"), (ORG, "UBND xã Tân Lợi"), (CN, "Lê Thị Hạnh")), "unknown"),
    (((C, "VN"), (CN, "Lê Thị Hạnh")), "unknown"),
])
def test_holder_kind_from_the_subject(attrs, kind):
    assert holder_kind(_name(*attrs))[0] == kind


def test_cert_info_carries_the_holder_and_never_the_number():
    ca = make_ca()
    key = new_key("ec")
    info = cert_info(issue_cert(ca, "Trần Văn Đức", key, uid=("CCCD:001099000001",)))
    assert (info.holder, info.holder_evidence) == ("person", "UID CCCD:")
    org = cert_info(issue_cert(ca, "UBND phường Tân Lợi", key, org="UBND phường Tân Lợi", uid=("MST:0100233488",)))
    assert (org.holder, org.holder_evidence) == ("organisation", "UID MST:")
    assert "0100233488" not in org.holder_evidence
