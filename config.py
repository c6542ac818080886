"""Settings, read once from the environment and an optional .env file."""

from __future__ import annotations

import os
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
    port: int = 3978
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Europe/Stockholm"
    fixed_today: str = ""
    demo: bool = True

    @property
    def authenticated(self) -> bool:
        """All Microsoft* settings empty means local mode (Emulator, Agents Playground)."""
        return bool(self.app_id)

    @classmethod
    def from_env(cls, env_file: str | os.PathLike[str] | None = None) -> Settings:
        load_dotenv(env_file or ROOT / ".env", override=False)
        env = os.environ
        return cls(
            app_id=env.get("MicrosoftAppId", ""),
            app_password=env.get("MicrosoftAppPassword", ""),
            app_type=env.get("MicrosoftAppType", "") or "MultiTenant",
            app_tenant_id=env.get("MicrosoftAppTenantId", ""),
            port=int(env.get("PORT", "") or 3978),
            database_url=env.get("DATABASE_URL", "") or DEFAULT_DATABASE_URL,
            timezone=env.get("LAGET_TIMEZONE", "") or "Europe/Stockholm",
            fixed_today=env.get("LAGET_TODAY", ""),
            demo=env.get("LAGET_DEMO", "1").strip() not in {"0", "false", "no"},
        )
