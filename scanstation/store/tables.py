"""Database tables (SQLAlchemy 2 declarative). Every change here needs an Alembic migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class DossierRow(Base):
    __tablename__ = "dossier"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    receipt_code: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    profile_id: Mapped[str] = mapped_column(String(32))
    clerk: Mapped[str] = mapped_column(String(128), default="")
    station: Mapped[str] = mapped_column(String(64), default="")
    workdir: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)                 # the Dossier as JSON (model.to_plain)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class PageRow(Base):
    __tablename__ = "page"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"), index=True)
    component_id: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)               # feed order within the component
    sheet: Mapped[int] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(8))
    variant: Mapped[str] = mapped_column(String(16))
    file: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    kept: Mapped[bool] = mapped_column(Boolean, default=True)
    excluded_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    data: Mapped[str] = mapped_column(Text, default="{}")


class OutputFileRow(Base):
    __tablename__ = "output_file"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"), index=True)
    component_id: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))          # assembled | signed | revoked
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[str] = mapped_column(Text, default="{}")


class AuditEventRow(Base):
    """One event of one station's chain. Several stations may share a database: each has its own
    chain, numbered by ``seq`` from 1 (unique per station). ``station`` "" holds events written before
    chains were per station and keyed (migration 0004); they keep their unkeyed digest."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station: Mapped[str] = mapped_column(String(64), default="")
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    dossier: Mapped[str | None] = mapped_column(String(64), nullable=True)
    page: Mapped[str | None] = mapped_column(String(64), nullable=True)
    file: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index("ix_audit_dossier", "dossier"),
                      UniqueConstraint("station", "seq", name="uq_audit_station_seq"))


class OutboxRow(Base):
    """One upload job per signed file (the outbox). Times are epoch seconds (UTC) so the worker's
    injectable clock, the scheduler's ``<=`` comparisons and several processes agree without
    timezone handling."""

    __tablename__ = "outbox"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    output_file_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    dossier_code: Mapped[str] = mapped_column(String(64), index=True)
    component_id: Mapped[str] = mapped_column(String(64), default="")
    document_type: Mapped[str] = mapped_column(String(64), default="")
    file_name: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    meta: Mapped[str] = mapped_column(Text, default="{}")   # document metadata as JSON
    state: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)        # why it needs attention
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)             # consecutive, drives backoff
    hash_mismatches: Mapped[int] = mapped_column(Integer, default=0)
    error_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)  # network | server | ...
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[float] = mapped_column(Float)
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    remote_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    remote_offset: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    confirmed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    exported_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    purged_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="station")    # station | import
    # The station (setting station.id) that holds the file: on a shared PostgreSQL only it uploads the job.
    station: Mapped[str] = mapped_column(String(64), default="", server_default="")

    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),
                      Index("ix_outbox_created", "created_at", "id"),
                      Index("ix_outbox_station_due", "station", "state", "next_attempt_at"),
                      Index("ix_outbox_station_created", "station", "created_at", "id"))


class CalibrationRow(Base):
    """One measured side of one calibration run of a scanner (a duplex run has a front and a back row,
    sharing ``run_id``). ``measurement`` is the full ``Measurement.to_dict()`` as JSON."""

    __tablename__ = "calibration"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(32), index=True)
    device: Mapped[str] = mapped_column(String(255))          # the station's device id (sane:..., virtual:demo)
    model: Mapped[str] = mapped_column(String(255), default="")  # vendor and model as the driver reports them
    serial: Mapped[str | None] = mapped_column(String(128), nullable=True)   # when the driver gives one
    driver: Mapped[str] = mapped_column(String(16), default="")
    source: Mapped[str] = mapped_column(String(16))           # flatbed | adf | adf-duplex
    side: Mapped[str] = mapped_column(String(8))              # front | back (the two sensors of a duplex feeder)
    dpi: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(8))           # pass | warn | fail
    failed: Mapped[str] = mapped_column(Text, default="[]")   # names of the failed checks, JSON list
    measurement: Mapped[str] = mapped_column(Text)
    is_baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[str] = mapped_column(String(128), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_calibration_device_at", "device", "at"),)


class ReviewRow(Base):
    """One page of a sampling review (C9): drawn at random from the pages digitised in a period, then
    judged by IT staff or a lead clerk against a short checklist (``None`` until reviewed)."""

    __tablename__ = "review"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sample_id: Mapped[str] = mapped_column(String(32), index=True)      # one draw of pages
    page_id: Mapped[str] = mapped_column(String(32), unique=True)      # a page is sampled at most once
    dossier_id: Mapped[str] = mapped_column(String(32))
    receipt_code: Mapped[str] = mapped_column(String(64))
    component_id: Mapped[str] = mapped_column(String(32))
    clerk: Mapped[str] = mapped_column(String(128), default="")
    device: Mapped[str] = mapped_column(String(255), default="")
    file: Mapped[str] = mapped_column(Text)                            # the page image (absolute path)
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    period_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period_to: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    legible: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    whole_page: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    orientation: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    colour: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    sampled_by: Mapped[str] = mapped_column(String(128), default="")
    sampled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewer: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StationSeatRow(Base):
    """Which counter PC holds each station.id on a shared database: the first PC to open the id. Another
    PC opening the same id is refused until IT staff release the seat (``scanstation db release-station``)."""

    __tablename__ = "station_seat"
    station: Mapped[str] = mapped_column(String(64), primary_key=True)
    machine: Mapped[str] = mapped_column(String(64))          # fingerprint: host name + the OS's machine id
    host: Mapped[str] = mapped_column(String(255))             # for people: the PC's name
    home: Mapped[str] = mapped_column(Text)                    # for people: its data folder
    first_seen: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)
