"""Settings, read once from the environment and an optional .env file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'data' / 'laget.db'}"


@dataclass(frozen=True)
class Settings:
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    allowed_tenants: tuple[str, ...] = ()
    port: int = 3978
    # The HTTP edge (bot/http_server.py); see .env.example.
    host: str = ""  # empty = 127.0.0.1 in local mode, 0.0.0.0 with authentication
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 512
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Europe/Stockholm"
    fixed_today: str = ""
    demo: bool = True
    # Teams app package (python app.py package); see .env.example.
    teams_app_id: str = ""  # empty = app_id
    app_version: str = "1.0.0"
    public_host: str = ""
    developer_name: str = ""
    developer_url: str = ""  # empty = https://<public_host>
    privacy_url: str = ""  # empty = developer_url
    terms_url: str = ""  # empty = developer_url
    # Deadline nudges (bot/scheduler.py); see .env.example.
    scheduler: bool = True
    scheduler_interval: float = 60.0
    stale_comment_days: int = 30
    # Kolada's API (python app.py kolada sync); tests point it at a local server.
    kolada_url: str = "https://api.kolada.se/v2"

    @property
    def authenticated(self) -> bool:
        """All Microsoft* settings empty means local mode (Emulator, Agents Playground)."""
        return bool(self.app_id)

    @property
    def allowed_tenant_ids(self) -> frozenset[str]:
        """Tenants whose activities are served; empty = any. LAGET_ALLOWED_TENANTS, else the
        app's own tenant (MicrosoftAppTenantId) when that is set."""
        if self.allowed_tenants:
            return frozenset(self.allowed_tenants)
        return frozenset({self.app_tenant_id}) if self.app_tenant_id else frozenset()

    @classmethod
    def from_env(cls, env_file: str | os.PathLike[str] | None = None) -> Settings:
        load_dotenv(env_file or ROOT / ".env", override=False)
        env = os.environ
        return cls(
            app_id=env.get("MicrosoftAppId", ""),
            app_password=env.get("MicrosoftAppPassword", ""),
            app_type=env.get("MicrosoftAppType", "") or "MultiTenant",
            app_tenant_id=env.get("MicrosoftAppTenantId", ""),
            allowed_tenants=tuple(
                t.strip() for t in env.get("LAGET_ALLOWED_TENANTS", "").split(",") if t.strip()
            ),
            port=int(env.get("PORT", "") or 3978),
            host=env.get("LAGET_HOST", "").strip(),
            header_timeout=_positive(env, "LAGET_HEADER_TIMEOUT", 10.0),
            body_timeout=_positive(env, "LAGET_BODY_TIMEOUT", 30.0),
            max_connections=int(_positive(env, "LAGET_MAX_CONNECTIONS", 512)),
            database_url=env.get("DATABASE_URL", "") or DEFAULT_DATABASE_URL,
            timezone=env.get("LAGET_TIMEZONE", "") or "Europe/Stockholm",
            fixed_today=env.get("LAGET_TODAY", ""),
            demo=env.get("LAGET_DEMO", "1").strip() not in {"0", "false", "no"},
            teams_app_id=env.get("LAGET_TEAMS_APP_ID", "").strip(),
            app_version=env.get("LAGET_APP_VERSION", "").strip() or "1.0.0",
            public_host=env.get("LAGET_PUBLIC_HOST", "").strip(),
            developer_name=env.get("LAGET_DEVELOPER_NAME", "").strip(),
            developer_url=env.get("LAGET_DEVELOPER_URL", "").strip(),
            privacy_url=env.get("LAGET_PRIVACY_URL", "").strip(),
            terms_url=env.get("LAGET_TERMS_URL", "").strip(),
            scheduler=env.get("LAGET_SCHEDULER", "1").strip() not in {"0", "false", "no"},
            scheduler_interval=float(env.get("LAGET_SCHEDULER_INTERVAL", "") or 60),
            stale_comment_days=int(env.get("LAGET_STALE_COMMENT_DAYS", "") or 30),
            kolada_url=(env.get("LAGET_KOLADA_URL", "").strip() or "https://api.kolada.se/v2"
                        ).rstrip("/"),
        )


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    value = float(raw) if raw else default
    if not value > 0:
        raise ValueError(f"{name} must be a positive number, not {raw!r}")
    return value
