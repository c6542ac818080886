"""Authentication of incoming requests, and the credentials for outgoing calls.

botbuilder's own validation (JwtTokenValidation via ConfigurationBotFrameworkAuthentication)
decides whether a token is good; this wraps it so that connector factories, credentials and
user-token clients are built once per app id and reused rather than on every turn.
"""

from __future__ import annotations

from typing import Any

from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)

from bot.botbuilder_patches import install_async_openid_metadata
from bot.connector import CachedConnectorFactory, LruCache, SharedSession, TokenSource


class LagetAuthentication(BotFrameworkAuthentication):
    """botbuilder's ConfigurationBotFrameworkAuthentication for validating requests, with
    connector factories, credentials and user-token clients built once and reused."""

    def __init__(self, configuration: Any,
                 credentials_factory: ServiceClientCredentialsFactory | None = None) -> None:
        install_async_openid_metadata()
        self._credentials = credentials_factory or ConfigurationServiceClientCredentialFactory(
            configuration
        )
        self._inner = ConfigurationBotFrameworkAuthentication(
            configuration, credentials_factory=self._credentials
        )
        self.originating_audience = self._inner.get_originating_audience()
        self._own_app_id: str = getattr(configuration, "APP_ID", "") or ""
        self.http = SharedSession()
        self._factories: dict[str | None, CachedConnectorFactory] = {}
        self._tokens: LruCache[tuple[str | None, str], TokenSource] = LruCache()
        self._user_token_clients: dict[str | None, UserTokenClient] = {}

    @staticmethod
    def _app_id(claims_identity: ClaimsIdentity) -> str | None:
        # Anonymous (local mode) has no claims; a proactive identity has "" for both.
        return claims_identity.get_claim_value(
            AuthenticationConstants.AUDIENCE_CLAIM
        ) or claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM) or None

    async def token_source(self, app_id: str | None, scope: str) -> TokenSource:
        key = (app_id, scope)
        tokens = self._tokens.get(key)
        if tokens is None:
            credentials = await self._credentials.create_credentials(
                app_id, scope, AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL, True
            )
            tokens = self._tokens.put(key, TokenSource(credentials))
        return tokens

    async def authenticate_request(self, activity: Activity,
                                   auth_header: str) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_request(activity, auth_header)
        audience = result.claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
        if self._own_app_id and audience != self._own_app_id:
            # botbuilder's EmulatorValidation checks `appid` but no audience, and a token for
            # another audience then fails later, building credentials for it (HTTP 500).
            # Läget talks to no other bots (no skills): a token must be for this app.
            raise PermissionError(f"token audience {audience!r} is not this bot")
        result.connector_factory = self.create_connector_factory(result.claims_identity)
        return result

    async def authenticate_streaming_request(self, auth_header: str,
                                             channel_id_header: str) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        app_id = self._app_id(claims_identity)
        factory = self._factories.get(app_id)
        if factory is None:
            factory = self._factories[app_id] = CachedConnectorFactory(self, app_id)
        return factory

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = self._app_id(claims_identity)
        client = self._user_token_clients.get(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._user_token_clients[app_id] = client
        return client

    def create_bot_framework_client(self):  # type: ignore[no-untyped-def]
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self.originating_audience

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)
