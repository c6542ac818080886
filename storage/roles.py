"""Who may change what, within one organisation: admins everything, managers their own
units' assignments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete
from sqlmodel import Session, select

from storage.domain import Refused
from storage.models import Role, Unit
from storage.units import require_unit

# An Entra ID object id: what Teams sends as from.aadObjectId.
ENTRA_OBJECT_ID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12,13}$")
# A channel's own user id (local mode: the Emulator's or the Playground's), with --channel-id.
CHANNEL_USER_ID = re.compile(r"^[\w:.@-]{1,200}$")


class RoleName(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"


@dataclass(frozen=True)
class Principal:
    """The user behind an activity: the AAD object id (in local mode, else the channel id)."""

    user_id: str
    user_name: str = ""


@dataclass(frozen=True)
class RoleView:
    user_id: str
    user_name: str
    role: RoleName
    unit: str | None


def parse_role(text: str) -> RoleName:
    try:
        return RoleName(text.strip().lower())
    except ValueError:
        raise Refused("unknown_role", value=text) from None


def check_user_id(user_id: str, channel_id: bool = False) -> str:
    """An Entra object id (GUID), or with `channel_id` any channel user id: a typo here
    would grant a role to nobody, silently."""
    user_id = user_id.strip()
    pattern = CHANNEL_USER_ID if channel_id else ENTRA_OBJECT_ID
    if not pattern.match(user_id):
        raise Refused("bad_user_id" if not channel_id else "bad_channel_user_id",
                      value=user_id[:60])
    return user_id


def _unit(s: Session, org: int, unit_name: str | None, role: RoleName) -> Unit | None:
    if role is RoleName.ADMIN:
        if unit_name:
            raise Refused("admin_has_no_unit")
        return None
    if not unit_name:
        raise Refused("manager_needs_unit")
    return require_unit(s, org, unit_name)


def grant(s: Session, org: int, user_id: str, role: RoleName, unit_name: str | None = None,
          user_name: str = "", granted_by: str = "") -> bool:
    """Returns False when the user already had the role."""
    if not user_id.strip():
        raise Refused("bad_user_id", value="")
    unit = _unit(s, org, unit_name, role)
    unit_id = unit.id if unit else None
    existing = s.exec(
        select(Role).where(Role.organisation_id == org, Role.user_id == user_id,
                           Role.role == role.value,
                           Role.unit_id == unit_id if unit_id else Role.unit_id.is_(None))
    ).first()
    if existing:
        if user_name and existing.user_name != user_name:
            existing.user_name = user_name[:300]
        return False
    s.add(Role(organisation_id=org, user_id=user_id, user_name=user_name[:300],
               role=role.value, unit_id=unit_id, granted_by=granted_by[:300]))
    s.flush()
    return True


def revoke(s: Session, org: int, user_id: str, role: RoleName,
           unit_name: str | None = None) -> int:
    """Returns how many grants were removed (0 if there were none)."""
    query = delete(Role).where(Role.organisation_id == org, Role.user_id == user_id,
                               Role.role == role.value)
    if role is RoleName.MANAGER and unit_name:
        unit = _unit(s, org, unit_name, role)
        query = query.where(Role.unit_id == unit.id)  # type: ignore[union-attr]
    return s.execute(query).rowcount or 0


def revoke_granted_by(s: Session, org: int, user_id: str, granted_by: str) -> int:
    """Remove the grants a given source made (the local demo's admin)."""
    return s.execute(delete(Role).where(Role.organisation_id == org, Role.user_id == user_id,
                                        Role.granted_by == granted_by)).rowcount or 0


def list_roles(s: Session, org: int) -> list[RoleView]:
    rows = s.exec(
        select(Role, Unit.name).join(Unit, Unit.id == Role.unit_id, isouter=True)
        .where(Role.organisation_id == org)
        .order_by(Role.role, Unit.name, Role.user_id)
    )
    return [RoleView(r.user_id, r.user_name, RoleName(r.role), unit) for r, unit in rows]


def is_admin(s: Session, org: int, user_id: str) -> bool:
    return bool(user_id) and s.exec(
        select(Role.id).where(Role.organisation_id == org, Role.user_id == user_id,
                              Role.role == RoleName.ADMIN.value)
    ).first() is not None


def managed_unit_ids(s: Session, org: int, user_id: str) -> set[int]:
    if not user_id:
        return set()
    return set(s.exec(
        select(Role.unit_id).where(Role.organisation_id == org, Role.user_id == user_id,
                                   Role.role == RoleName.MANAGER.value)
    )) - {None}


def may_update(s: Session, org: int, user_id: str, unit_id: int) -> bool:
    """The rule for changing an assignment: admin, or manager of its responsible unit."""
    return is_admin(s, org, user_id) or unit_id in managed_unit_ids(s, org, user_id)


def unit_managers(s: Session, org: int, unit_id: int) -> list[RoleView]:
    rows = s.exec(
        select(Role).where(Role.organisation_id == org, Role.unit_id == unit_id,
                           Role.role == RoleName.MANAGER.value)
        .order_by(Role.user_name, Role.user_id)
    )
    return [RoleView(r.user_id, r.user_name, RoleName.MANAGER, None) for r in rows]


def managers_by_user(s: Session, org: int) -> dict[str, set[int]]:
    """Every manager and the units they manage, in one query (for reminders)."""
    found: dict[str, set[int]] = {}
    for user_id, unit_id in s.exec(
        select(Role.user_id, Role.unit_id).where(Role.organisation_id == org,
                                                 Role.role == RoleName.MANAGER.value,
                                                 Role.unit_id.is_not(None))
    ):
        found.setdefault(user_id, set()).add(unit_id)
    return found
