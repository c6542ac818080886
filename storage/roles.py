"""Who may change what: admins everything, managers their own units' assignments."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete
from sqlmodel import Session, select

from storage.models import Role, Unit
from storage.units import resolve_unit


class RoleName(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"


@dataclass(frozen=True)
class Principal:
    """The user behind an activity: AAD object id when Teams sends one, else the channel id."""

    user_id: str
    user_name: str = ""


@dataclass(frozen=True)
class RoleView:
    user_id: str
    user_name: str
    role: RoleName
    unit: str | None


def _unit(session: Session, unit_name: str | None, role: RoleName) -> Unit | None:
    if role is RoleName.ADMIN:
        if unit_name:
            raise ValueError("admin gäller alla enheter; ange ingen enhet")
        return None
    if not unit_name:
        raise ValueError("manager kräver en enhet, t.ex. grant USER manager IT")
    match = resolve_unit(session, unit_name)
    if match.unit is None:
        hint = ", ".join(u.name for u in match.suggestions)
        raise ValueError(f"okänd enhet {unit_name!r}" + (f" (menade du {hint}?)" if hint else ""))
    return match.unit


def parse_role(text: str) -> RoleName:
    try:
        return RoleName(text.strip().lower())
    except ValueError:
        raise ValueError(f"okänd roll {text!r} (admin eller manager)") from None


def grant(session: Session, user_id: str, role: RoleName, unit_name: str | None = None,
          user_name: str = "", granted_by: str = "") -> bool:
    """Returns False when the user already had the role."""
    if not user_id.strip():
        raise ValueError("användar-id saknas")
    unit = _unit(session, unit_name, role)
    unit_id = unit.id if unit else None
    existing = session.exec(
        select(Role).where(Role.user_id == user_id, Role.role == role.value,
                           Role.unit_id == unit_id if unit_id else Role.unit_id.is_(None))
    ).first()
    if existing:
        if user_name and existing.user_name != user_name:
            existing.user_name = user_name
        return False
    session.add(Role(user_id=user_id, user_name=user_name, role=role.value, unit_id=unit_id,
                     granted_by=granted_by))
    session.flush()
    return True


def revoke(session: Session, user_id: str, role: RoleName, unit_name: str | None = None) -> int:
    """Returns how many grants were removed (0 if there were none)."""
    query = delete(Role).where(Role.user_id == user_id, Role.role == role.value)
    if role is RoleName.MANAGER and unit_name:
        unit = _unit(session, unit_name, role)
        query = query.where(Role.unit_id == unit.id)  # type: ignore[union-attr]
    return session.execute(query).rowcount or 0


def list_roles(session: Session) -> list[RoleView]:
    rows = session.exec(
        select(Role, Unit.name).join(Unit, Unit.id == Role.unit_id, isouter=True)
        .order_by(Role.role, Unit.name, Role.user_id)
    )
    return [RoleView(r.user_id, r.user_name, RoleName(r.role), unit) for r, unit in rows]


def is_admin(session: Session, user_id: str) -> bool:
    return session.exec(
        select(Role.id).where(Role.user_id == user_id, Role.role == RoleName.ADMIN.value)
    ).first() is not None


def managed_unit_ids(session: Session, user_id: str) -> set[int]:
    return set(
        session.exec(
            select(Role.unit_id).where(Role.user_id == user_id,
                                       Role.role == RoleName.MANAGER.value)
        )
    ) - {None}


def may_update(session: Session, user_id: str, unit_id: int) -> bool:
    """The rule for changing an assignment: admin, or manager of its responsible unit."""
    return is_admin(session, user_id) or unit_id in managed_unit_ids(session, user_id)


def managers_of(session: Session, unit_id: int) -> list[str]:
    """User ids of the unit's managers (for reminders)."""
    return [m.user_id for m in unit_managers(session, unit_id)]


def unit_managers(session: Session, unit_id: int) -> list[RoleView]:
    rows = session.exec(
        select(Role).where(Role.unit_id == unit_id, Role.role == RoleName.MANAGER.value)
        .order_by(Role.user_name, Role.user_id)
    )
    return [RoleView(r.user_id, r.user_name, RoleName.MANAGER, None) for r in rows]
