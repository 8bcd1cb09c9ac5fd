"""Database tables (SQLAlchemy 2 declarative). Every change here needs an Alembic migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
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
    __tablename__ = "audit_event"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    dossier: Mapped[str | None] = mapped_column(String(64), nullable=True)
    page: Mapped[str | None] = mapped_column(String(64), nullable=True)
    file: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_dossier", "dossier"),)
