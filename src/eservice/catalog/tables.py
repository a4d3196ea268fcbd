"""Tables of the catalogue: departments, service families, published versions.

Published versions are immutable: a (code, version) row is written once with the digest of
its definition; loading different content under the same version is refused. Definitions are
stored as ``json`` rather than ``jsonb`` so that a form keeps the order of its fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.orm import Mapped, mapped_column

from eservice.core.db import Base


class DepartmentRow(Base):
    """A department (Amt); its names may change, its code never does."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_de: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WorkflowVersionRow(Base):
    """One published workflow version."""

    __tablename__ = "workflow_versions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ServiceRow(Base):
    """A service family (its code): what authorisation and queues refer to."""

    __tablename__ = "services"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    current_version: Mapped[int] = mapped_column(Integer)
    department: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    public: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ServiceVersionRow(Base):
    """One published service version, pinned to one workflow version."""

    __tablename__ = "service_versions"

    code: Mapped[str] = mapped_column(ForeignKey("services.code"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    workflow_name: Mapped[str] = mapped_column(String(64))
    workflow_version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (
        ForeignKeyConstraint(
            ["workflow_name", "workflow_version"],
            ["workflow_versions.name", "workflow_versions.version"],
            name="fk_service_versions_workflow",
        ),
    )
