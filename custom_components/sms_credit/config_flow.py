"""Config flow for SMS Credit: add, reauthenticate and reconfigure accounts.

One credentials form, built from the fields the provider declares, serves
adding, reauthenticating (its secrets only) and reconfiguring an account.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST
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
    account_name,
    async_get_spec,
    create_client,
    default_threshold,
    entry_title,
    host_option,
    names_only,
    same_account,
    secret_keys,
    unfit_text,
    valid_base_url,
    valid_interval,
    valid_threshold,
)
from .providers import (
    REGISTRY,
    AuthMethod,
    Balance,
    ProviderError,
    ProviderSpec,
    ThrottledError,
    minor_unit,
    normalize_host,
)
from .store import async_get_store

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

    Each value is stored as the provider declares (SMSC: the MD5 of the
    password, which it accepts in its place: the plaintext is never stored).
    A secret left empty is left out (reconfigure keeps the stored one).
    """
    data: dict[str, Any] = {
        CONF_PROVIDER: spec.key,
        CONF_HOST: normalize_host(host),
        CONF_AUTH_METHOD: method.key,
    }
    for field in method.fields:
        value = str(user_input.get(field.form_key) or "")
        if field.secret and not value:
            continue
        value = value if field.secret else value.strip()
        data[field.key] = field.transform(value) if field.transform else value
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
        field.form_key: "invalid_characters"
        for field in method.fields
        if isinstance(value := user_input.get(field.form_key), str)
        and unfit_text(value)
    }


def blank_fields(method: AuthMethod, data: Mapping[str, Any]) -> dict[str, str]:
    """Form errors for the text fields left blank (secrets may be kept)."""
    return {
        field.form_key: "invalid_credentials"
        for field in method.fields
        if not field.secret and not str(data.get(field.key, "")).strip()
    }


def _account_key(method: AuthMethod) -> str:
    """The form key of the field that names the account."""
    return next(f.form_key for f in method.fields if f.key == method.account_field)


def credentials_schema(
    spec: ProviderSpec,
    method: AuthMethod,
    *,
    secrets_only: bool = False,
    secrets_required: bool = True,
    open_advanced: bool = False,
) -> vol.Schema:
    """The form for one login method, built from the provider's declaration.

    The provider's own sites are a list, each named with its country (a
    translated label per site, else the declared one); another server goes
    in the "Advanced" section, collapsed unless it holds an error. Reauth
    asks for the secrets alone.
    """
    schema: dict[vol.Marker, Any] = {}
    if not secrets_only:
        options = [
            SelectOptionDict(
                value=host_option(site.url),
                label=" · ".join(
                    filter(None, (urlsplit(site.url).hostname, site.country))
                ),
            )
            for site in spec.sites
        ]
        schema[vol.Required(CONF_HOST, default=host_option(spec.hosts[0]))] = (
            SelectSelector(
                SelectSelectorConfig(
                    options=options,
                    mode=SelectSelectorMode.DROPDOWN,
                    translation_key="host",
                )
            )
        )
    for field in method.fields:
        if field.secret:
            # Secret: the value never appears in a validation error.
            key = vol.Secret(field.form_key)
            marker = vol.Required(key) if secrets_required else vol.Optional(key)
            schema[marker] = TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="off")
            )
        elif not secrets_only:
            schema[vol.Required(field.form_key)] = TextSelector(
                TextSelectorConfig(autocomplete="username")
            )
    if not secrets_only:
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
        specs = {key: await async_get_spec(self.hass, key) for key in REGISTRY}
        if user_input is not None:
            self._spec = specs[user_input[CONF_PROVIDER]]
            return await self.async_step_auth_method()
        options = [
            SelectOptionDict(value=spec.key, label=spec.name)
            for spec in sorted(specs.values(), key=lambda spec: spec.name.casefold())
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
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick how to log in, where the provider offers more than one way."""
        assert self._spec is not None  # noqa: S101
        methods = self._spec.auth_methods
        if len(methods) == 1 or user_input is not None:
            key = methods[0].key if user_input is None else user_input[CONF_AUTH_METHOD]
            self._method = self._spec.auth_method(key)
            return await self.async_step_credentials()
        selector = SelectSelectorConfig(
            options=[method.key for method in methods],
            mode=SelectSelectorMode.LIST,
            translation_key=CONF_AUTH_METHOD,
        )
        return self.async_show_form(
            step_id="auth_method",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_AUTH_METHOD, default=methods[0].key
                    ): SelectSelector(selector)
                }
            ),
            description_placeholders={"provider": self._spec.name},
        )

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter the account's server and credentials, tried before saving."""
        spec, method = self._spec, self._method
        assert spec is not None  # noqa: S101
        assert method is not None  # noqa: S101
        errors: dict[str, str] = {}
        host = spec.hosts[0]
        if user_input is not None:
            host = chosen_host(spec, user_input, spec.hosts[0])
        # One set for the try and the form: the try adds until when a wait
        # it meets lasts, for its form error.
        placeholders = _placeholders(
            spec, host if valid_base_url(host) else spec.hosts[0]
        )
        if user_input is not None:
            if not valid_base_url(host):
                errors[SECTION_ADVANCED] = "invalid_host"
            elif not (
                # Unstorable text first: stored_data would transform it.
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
            step_id="credentials",
            data_schema=self.add_suggested_values_to_schema(
                credentials_schema(
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
        spec, method = self._spec, self._method
        assert spec is not None  # noqa: S101
        assert method is not None  # noqa: S101
        store = await async_get_store(self.hass)
        host, login = data[CONF_HOST], account_name(data)
        limiter = store.limiter(spec, host, login)
        try:
            client = create_client(async_get_clientsession(self.hass), data, limiter)
        except ValueError:
            # A login the provider's protocol cannot carry.
            return {_account_key(method): "invalid_credentials"}
        try:
            self._balance = await client.async_get_balance()
        except ThrottledError as err:
            # Nothing was sent: a wait the provider imposed, or its limit.
            placeholders.update(wait_placeholders(err.retry_after or 0))
            return {"base": err.reason.value}
        except ProviderError as err:
            LOGGER.debug("%s: trying the credentials failed: %s", spec.name, err)
            store.async_save_sites()
            placeholders.update(wait_placeholders(limiter.wait()[0]))
            return {"base": error_key(err)}
        except Exception:  # noqa: BLE001 - the form must never crash
            LOGGER.exception("Unexpected error trying the credentials")
            return {"base": "unknown"}
        if entry is not None:
            # New credentials of this entry work: they are no longer rejected.
            record = await store.async_entry(entry.entry_id, spec, host, login)
            record.rejected = None
            store.async_save_entry(record)
        return {}

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The provider rejected the stored credentials."""
        self._spec = await async_get_spec(self.hass, entry_data[CONF_PROVIDER])
        self._method = self._spec.auth_method(entry_data[CONF_AUTH_METHOD])
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new secrets, try them, and reload the entry."""
        spec, method = self._spec, self._method
        assert spec is not None  # noqa: S101
        assert method is not None  # noqa: S101
        entry = self._get_reauth_entry()
        host = entry.data[CONF_HOST]
        # Shown at once when the provider's answer may also mean an IP
        # address off the account's allow-list (SMSC's error 2); the cause
        # is stored, so it is still known after a restart.
        store = await async_get_store(self.hass)
        record = await store.async_entry(
            entry.entry_id, spec, host, account_name(entry.data)
        )
        errors: dict[str, str] = {}
        if user_input is None and record.rejected == REJECTION_INVALID_AUTH_OR_IP:
            errors["base"] = REJECTION_INVALID_AUTH_OR_IP
        placeholders = {**_placeholders(spec, host), "title": entry.title}
        if user_input is not None and not (errors := unfit_fields(method, user_input)):
            typed = stored_data(spec, method, host, user_input)
            data = {
                **entry.data,
                **{k: typed[k] for k in secret_keys(spec) & typed.keys()},
            }
            errors = await self._async_try(data, placeholders, entry)
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data=data, reason="reauth_successful"
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=credentials_schema(spec, method, secrets_only=True),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server or credentials of the same account."""
        entry = self._get_reconfigure_entry()
        spec = self._spec = await async_get_spec(self.hass, entry.data[CONF_PROVIDER])
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
                    method, data := self._reconfigured(entry, spec, host, user_input)
                )
            ):
                if not names_only(method) and account_name(data).casefold() != (
                    account_name(entry.data).casefold()
                ):
                    # Another login is another account: the user corrects
                    # it here, or adds that account instead.
                    errors = {_account_key(method): "wrong_account"}
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
        suggested: dict[str, Any] = {
            field.form_key: entry.data.get(field.key)
            for field in method.fields
            if not field.secret
        }
        if entry.data[CONF_HOST] in spec.hosts:
            suggested[CONF_HOST] = host_option(entry.data[CONF_HOST])
        else:
            suggested[SECTION_ADVANCED] = {CONF_CUSTOM_HOST: entry.data[CONF_HOST]}
        suggested.update(user_input or {})
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                credentials_schema(
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

    def _reconfigured(
        self,
        entry: ConfigEntry,
        spec: ProviderSpec,
        host: str,
        user_input: Mapping[str, Any],
    ) -> dict[str, Any]:
        """New entry data; secrets left empty keep the stored ones."""
        assert self._method is not None  # noqa: S101
        typed = {k: v for k, v in user_input.items() if v not in (None, "")}
        data = stored_data(spec, self._method, host, typed)
        if not any(f.form_key in typed for f in self._method.fields if f.secret):
            data.update({k: v for k, v in entry.data.items() if k in secret_keys(spec)})
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
    if coordinator is None or coordinator.data is None:
        return None
    return coordinator.data.currency
