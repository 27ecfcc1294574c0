"""Config flow for SMS Credit: add, reauthenticate and reconfigure accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow, section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio as vol

from .const import (
    CONF_AUTH_METHOD,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_PASSWORD_MD5,
    CONF_PROVIDER,
    CONF_UPDATE_INTERVAL,
    DEFAULT_LOW_CREDIT_THRESHOLD,
    DEFAULT_UPDATE_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_UPDATE_INTERVAL,
    MIN_UPDATE_INTERVAL,
    REJECTION_INVALID_AUTH_OR_IP,
)
from .coordinator import (
    SmsCreditCoordinator,
    error_key,
    rule_placeholders,
    wait_placeholders,
)
from .helpers import (
    SECRET_KEYS,
    account_name,
    create_client,
    default_threshold,
    entry_title,
    host_option,
    provider_spec,
    same_account,
    unfit_text,
    valid_base_url,
    valid_interval,
    valid_threshold,
)
from .providers import (
    PROVIDERS,
    AuthMethod,
    Balance,
    ProviderError,
    ProviderSpec,
    ThrottledError,
    minor_unit,
    normalize_host,
    smsc_password_hash,
)
from .store import async_get_store

SMSC = "smsc"
SECTION_ADVANCED = "advanced"
CONF_CUSTOM_HOST = "custom_host"


def chosen_host(spec: ProviderSpec, user_input: Mapping[str, Any], default: str) -> str:
    """The server: a custom address when typed, else the picked site."""
    custom = str(user_input.get(SECTION_ADVANCED, {}).get(CONF_CUSTOM_HOST) or "")
    picked = user_input.get(CONF_HOST)
    sites = {host_option(host): host for host in spec.hosts}
    return custom.strip() or sites.get(str(picked), default)


def stored_data(
    spec: ProviderSpec, method: AuthMethod, host: str, user_input: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the entry data for what the user typed: only what is needed.

    For SMSC the password is replaced by its MD5, which SMSC accepts in its
    place: the plaintext never reaches Home Assistant's storage.
    """
    data: dict[str, Any] = {
        CONF_PROVIDER: spec.key,
        CONF_HOST: normalize_host(host),
        CONF_AUTH_METHOD: method.key,
    }
    for field in method.fields:
        value = str(user_input.get(field.key) or "")
        if field.secret and not value:
            continue  # reconfigure: the stored secret is kept
        data[field.key] = value if field.secret else value.strip()
    if spec.key == SMSC and CONF_PASSWORD in data:
        data[CONF_PASSWORD_MD5] = smsc_password_hash(data.pop(CONF_PASSWORD))
    return data


def _placeholders(spec: ProviderSpec, host: str) -> dict[str, str]:
    """What the flow's texts and form errors may name, for the account at ``host``."""
    return {
        "provider": spec.name,
        "account_url": spec.control_panel(host),
        "example_url": "https://sms.example.com",
        **rule_placeholders(spec),
        **wait_placeholders(60),
    }


def _amount(balance: Balance) -> str:
    """The credit as the credit sensor shows it (its currency's minor unit)."""
    places = minor_unit(balance.currency)
    return f"{balance.amount:.{places}f} {balance.currency}"


def unfit_fields(method: AuthMethod, user_input: Mapping[str, Any]) -> dict[str, str]:
    """Form errors for typed text that can be neither stored nor sent."""
    return {
        field.key: "invalid_characters"
        for field in method.fields
        if isinstance(value := user_input.get(field.key), str) and unfit_text(value)
    }


def blank_fields(method: AuthMethod, data: Mapping[str, Any]) -> dict[str, str]:
    """Form errors for the text fields left blank (secrets may be kept)."""
    return {
        field.key: "invalid_credentials"
        for field in method.fields
        if not field.secret and not str(data.get(field.key, "")).strip()
    }


class SmsCreditConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an SMS-gateway account: provider, login method, credentials."""

    VERSION = 1
    MINOR_VERSION = 2

    def __init__(self) -> None:
        """Initialise the flow."""
        self._spec: ProviderSpec | None = None
        self._method: AuthMethod | None = None
        self._data: dict[str, Any] = {}
        self._balance: Balance | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SmsCreditOptionsFlow:  # noqa: ARG004
        """Return the options flow."""
        return SmsCreditOptionsFlow()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the provider."""
        if user_input is not None:
            self._spec = PROVIDERS[user_input[CONF_PROVIDER]]
            return await self.async_step_auth_method()
        options = [
            SelectOptionDict(value=spec.key, label=spec.name)
            for spec in PROVIDERS.values()
        ]
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PROVIDER): SelectSelector(
                        SelectSelectorConfig(
                            options=options, mode=SelectSelectorMode.LIST
                        )
                    )
                }
            ),
        )

    async def async_step_auth_method(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002 - a menu
    ) -> ConfigFlowResult:
        """Pick how to log in, where the provider offers more than one way."""
        assert self._spec is not None  # noqa: S101
        methods = self._spec.auth_methods
        if len(methods) == 1:
            self._method = methods[0]
            return await self._async_step_credentials(None)
        return self.async_show_menu(
            step_id="auth_method",
            menu_options=[method.key for method in methods],
            description_placeholders={"provider": self._spec.name},
        )

    async def async_step_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Log in with a login and password."""
        return await self._async_step_method("password", user_input)

    async def async_step_api_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Log in with an API key."""
        return await self._async_step_method("api_key", user_input)

    async def _async_step_method(
        self, key: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        assert self._spec is not None  # noqa: S101
        self._method = self._spec.auth_method(key)
        return await self._async_step_credentials(user_input)

    async def _async_step_credentials(
        self, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Enter the account's host and credentials, tried before saving.

        The step is named after the login method (``password``,
        ``api_key``), so that each form has its own texts.
        """
        spec, method = self._spec, self._method
        assert spec is not None  # noqa: S101
        assert method is not None  # noqa: S101
        errors: dict[str, str] = {}
        host = spec.default_host
        if user_input is not None:
            host = chosen_host(spec, user_input, spec.default_host)
        # One set for the try and the form: the try adds until when a wait
        # it meets lasts, for its form error.
        placeholders = _placeholders(
            spec, host if valid_base_url(host) else spec.default_host
        )
        if user_input is not None:
            if not valid_base_url(host):
                errors[SECTION_ADVANCED] = "invalid_host"
            elif not (
                # Unstorable text first: stored_data would hash it.
                errors := unfit_fields(method, user_input)
                or blank_fields(
                    method, data := stored_data(spec, method, host, user_input)
                )
            ):
                self._abort_if_same_account(data)
                errors = await self._async_try(data, placeholders)
                if not errors:
                    self._data = data
                    return await self.async_step_threshold()
        return self.async_show_form(
            step_id=method.key,
            data_schema=self.add_suggested_values_to_schema(
                self._credentials_schema(
                    spec, method, open_advanced=SECTION_ADVANCED in errors
                ),
                user_input,
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_threshold(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the credit just fetched, and ask below which amount it is low."""
        balance = self._balance
        assert balance is not None  # noqa: S101 - the credentials were tried
        errors: dict[str, str] = {}
        if user_input is not None:
            threshold = valid_threshold(user_input.get(CONF_LOW_CREDIT_THRESHOLD))
            if threshold is None:
                errors[CONF_LOW_CREDIT_THRESHOLD] = "invalid_threshold"
            else:
                data = self._data
                self._abort_if_same_account(data)  # added meanwhile elsewhere
                return self.async_create_entry(
                    title=entry_title(data),
                    data=data,
                    options={
                        CONF_UPDATE_INTERVAL: DEFAULT_UPDATE_INTERVAL,
                        CONF_LOW_CREDIT_THRESHOLD: threshold,
                    },
                )
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_LOW_CREDIT_THRESHOLD,
                    default=default_threshold(balance.currency),
                ): _threshold_selector(balance.currency)
            }
        )
        return self.async_show_form(
            step_id="threshold",
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "title": entry_title(self._data),
                "credit": _amount(balance),
                "currency": balance.currency,
            },
        )

    @staticmethod
    def _credentials_schema(
        spec: ProviderSpec,
        method: AuthMethod,
        *,
        secrets_required: bool = True,
        open_advanced: bool = False,
    ) -> vol.Schema:
        """The form for one login method, built from the provider registry.

        The provider's own sites are a list, each named with its country (a
        translated label per site); a reseller's server goes in the
        "Advanced" section (Home Assistant no longer has an advanced mode to
        hide it behind), collapsed unless it holds an error.
        """
        schema: dict[vol.Marker, Any] = {
            vol.Required(
                CONF_HOST, default=host_option(spec.default_host)
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[host_option(host) for host in spec.hosts],
                    mode=SelectSelectorMode.DROPDOWN,
                    translation_key="host",
                )
            )
        }
        for field in method.fields:
            if field.secret:
                # Secret: the value never appears in a validation error.
                marker: vol.Marker = (
                    vol.Required(vol.Secret(field.key))
                    if secrets_required
                    else vol.Optional(vol.Secret(field.key))
                )
                schema[marker] = TextSelector(
                    TextSelectorConfig(
                        type=TextSelectorType.PASSWORD, autocomplete="off"
                    )
                )
            else:
                schema[vol.Required(field.key)] = TextSelector(
                    TextSelectorConfig(autocomplete="username")
                )
        schema[vol.Required(SECTION_ADVANCED)] = section(
            vol.Schema(
                {
                    vol.Optional(CONF_CUSTOM_HOST): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.URL)
                    )
                }
            ),
            {"collapsed": not open_advanced},
        )
        return vol.Schema(schema)

    @callback
    def _abort_if_same_account(
        self, data: Mapping[str, Any], *, but: ConfigEntry | None = None
    ) -> None:
        """Abort when another entry already holds these credentials."""
        for entry in self._async_current_entries(include_ignore=False):
            if entry is not but and same_account(entry.data, data):
                raise AbortFlow("already_configured")

    async def _async_try(
        self,
        data: Mapping[str, Any],
        placeholders: dict[str, str],
        entry: ConfigEntry | None = None,
    ) -> dict[str, str]:
        """Fetch the balance once with ``data``; return the form errors.

        The request goes through the login's limiter and its site's, as every
        request does: nothing is sent into a provider's block, and never the
        failed login that would cause one.
        """
        spec = provider_spec(data)
        store = await async_get_store(self.hass)
        limiter = store.limiter(spec, data[CONF_HOST], account_name(data))
        try:
            client = create_client(async_get_clientsession(self.hass), data, limiter)
        except ValueError:
            # A login the provider's protocol cannot carry.
            return {CONF_USERNAME: "invalid_credentials"}
        try:
            self._balance = await client.async_get_balance()
        except ThrottledError as err:
            # Nothing was sent: a wait the provider imposed, or its limit.
            placeholders.update(wait_placeholders(err.retry_after or 0))
            return {"base": err.reason.value}
        except ProviderError as err:
            LOGGER.debug("%s: trying the credentials failed: %s", spec.name, err)
            store.async_schedule_save()
            placeholders.update(wait_placeholders(limiter.next_allowed_in()))
            return {"base": error_key(err)}
        except Exception:  # noqa: BLE001 - the form must never crash
            LOGGER.exception("Unexpected error trying the credentials")
            return {"base": "unknown"}
        if entry is not None:
            # New credentials of this entry work: they are no longer rejected.
            store.entry(entry.entry_id).rejected = None
        store.async_schedule_save()
        return {}

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The provider rejected the stored credentials."""
        self._spec = provider_spec(entry_data)
        self._method = self._spec.auth_method(entry_data[CONF_AUTH_METHOD])
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new secret, try it, and reload the entry."""
        spec, method = self._spec, self._method
        assert spec is not None  # noqa: S101
        assert method is not None  # noqa: S101
        entry = self._get_reauth_entry()
        # Shown at once when the provider's answer may also mean an IP
        # address off the account's allow-list (SMSC's error 2); the cause
        # is stored, so it is still known after a restart.
        store = await async_get_store(self.hass)
        rejected = store.entry(entry.entry_id).rejected
        errors: dict[str, str] = (
            {"base": REJECTION_INVALID_AUTH_OR_IP}
            if user_input is None and rejected == REJECTION_INVALID_AUTH_OR_IP
            else {}
        )
        placeholders = {
            **_placeholders(spec, entry.data[CONF_HOST]),
            "title": entry.title,
        }
        secret_fields = [f for f in method.fields if f.secret]
        if user_input is not None and not (errors := unfit_fields(method, user_input)):
            merged = {**entry.data, **user_input}
            data = stored_data(spec, method, entry.data[CONF_HOST], merged)
            errors = await self._async_try(data, placeholders, entry)
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data=data, reason="reauth_successful"
                )
        schema = {
            vol.Required(vol.Secret(field.key)): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="off")
            )
            for field in secret_fields
        }
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema(schema),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the host or credentials of the same account.

        The form is named after the entry's login method
        (``reconfigure_password``, ``reconfigure_api_key``), so that each
        has its own texts; its answers come back to the same step.
        """
        return await self._async_step_reconfigure(user_input)

    async def async_step_reconfigure_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reconfigure an entry that logs in with a password."""
        return await self._async_step_reconfigure(user_input)

    async def async_step_reconfigure_api_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reconfigure an entry that logs in with an API key."""
        return await self._async_step_reconfigure(user_input)

    async def _async_step_reconfigure(
        self, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        spec = self._spec = provider_spec(entry.data)
        method = self._method = spec.auth_method(entry.data[CONF_AUTH_METHOD])
        errors: dict[str, str] = {}
        host = entry.data[CONF_HOST]
        if user_input is not None:
            host = chosen_host(spec, user_input, entry.data[CONF_HOST])
        # One set for the try and the form (see the add step).
        placeholders = _placeholders(
            spec, host if valid_base_url(host) else entry.data[CONF_HOST]
        )
        if user_input is not None:
            if not valid_base_url(host):
                errors[SECTION_ADVANCED] = "invalid_host"
            elif not (
                errors := unfit_fields(method, user_input)
                or blank_fields(
                    method,
                    data := self._reconfigured_data(
                        entry, spec, method, host, user_input
                    ),
                )
            ):
                if method.key == "password" and account_name(data).casefold() != (
                    account_name(entry.data).casefold()
                ):
                    # Another login is another account: the user corrects
                    # it here, or adds that account instead.
                    errors = {CONF_USERNAME: "wrong_account"}
                else:
                    self._abort_if_same_account(data, but=entry)
                    errors = await self._async_try(data, placeholders, entry)
                if not errors:
                    return self.async_update_reload_and_abort(
                        entry,
                        data=data,
                        title=entry_title(data),
                        reason="reconfigure_successful",
                    )
        suggested = {
            key: value
            for key, value in entry.data.items()
            if key not in SECRET_KEYS and key != CONF_HOST
        }
        if entry.data[CONF_HOST] in spec.hosts:
            suggested[CONF_HOST] = host_option(entry.data[CONF_HOST])
        else:
            suggested[SECTION_ADVANCED] = {CONF_CUSTOM_HOST: entry.data[CONF_HOST]}
        suggested.update(user_input or {})
        return self.async_show_form(
            step_id=f"reconfigure_{method.key}",
            data_schema=self.add_suggested_values_to_schema(
                self._credentials_schema(
                    spec,
                    method,
                    secrets_required=False,
                    open_advanced=SECTION_ADVANCED in errors
                    or entry.data[CONF_HOST] not in spec.hosts,
                ),
                suggested,
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    @staticmethod
    def _reconfigured_data(
        entry: ConfigEntry,
        spec: ProviderSpec,
        method: AuthMethod,
        host: str,
        user_input: Mapping[str, Any],
    ) -> dict[str, Any]:
        """New entry data; a secret left empty keeps the stored one."""
        typed = {k: v for k, v in user_input.items() if v not in (None, "")}
        data = stored_data(spec, method, host, typed)
        if not any(field.key in typed for field in method.fields if field.secret):
            data.update({k: v for k, v in entry.data.items() if k in SECRET_KEYS})
        return data


class SmsCreditOptionsFlow(OptionsFlow):
    """Update interval and low-credit threshold, applied live.

    The running coordinator takes the new options (see ``__init__``): no
    reload, no request, and the entities stay as they are.
    """

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the options: whole minutes and a finite amount only.

        The selectors' own checks let ``"nan"`` and ``"inf"`` through (and
        the API skips the frontend's): each value is checked here, once.
        """
        entry = self.config_entry
        errors: dict[str, str] = {}
        if user_input is not None:
            interval = valid_interval(user_input.get(CONF_UPDATE_INTERVAL))
            threshold = valid_threshold(user_input.get(CONF_LOW_CREDIT_THRESHOLD))
            if interval is None:
                errors[CONF_UPDATE_INTERVAL] = "invalid_interval"
            if threshold is None:
                errors[CONF_LOW_CREDIT_THRESHOLD] = "invalid_threshold"
            if interval is not None and threshold is not None:
                return self.async_create_entry(
                    data={
                        CONF_UPDATE_INTERVAL: interval,
                        CONF_LOW_CREDIT_THRESHOLD: threshold,
                    }
                )
        currency = _entry_currency(entry)
        schema = vol.Schema(
            {
                # No min or max in the selectors: their generic "Value 0.0
                # is too small" would answer before the checks above.
                vol.Required(
                    CONF_UPDATE_INTERVAL, default=DEFAULT_UPDATE_INTERVAL
                ): NumberSelector(
                    NumberSelectorConfig(
                        step=1, unit_of_measurement="min", mode=NumberSelectorMode.BOX
                    )
                ),
                vol.Required(
                    CONF_LOW_CREDIT_THRESHOLD, default=DEFAULT_LOW_CREDIT_THRESHOLD
                ): _threshold_selector(currency),
            }
        )
        return self.async_show_form(
            step_id="init",
            # What is stored, never a refused value ("nan" cannot go in JSON).
            data_schema=self.add_suggested_values_to_schema(schema, entry.options),
            errors=errors,
            description_placeholders={
                "currency": currency or "-",
                "min_interval": str(MIN_UPDATE_INTERVAL),
                "max_interval": str(MAX_UPDATE_INTERVAL),
            },
        )


def _threshold_selector(currency: str | None) -> NumberSelector:
    """An amount in the account's currency (checked by ``valid_threshold``)."""
    config = NumberSelectorConfig(step="any", mode=NumberSelectorMode.BOX)
    if currency is not None:
        config["unit_of_measurement"] = currency
    return NumberSelector(config)


def _entry_currency(entry: ConfigEntry) -> str | None:
    """The account's currency, when its balance is known."""
    coordinator: SmsCreditCoordinator | None = getattr(entry, "runtime_data", None)
    if coordinator is None or (balance := coordinator.balance) is None:
        return None
    return balance.currency
