"""Config flow for SMS Credit: add, reauthenticate and reconfigure accounts."""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any, Literal
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
from homeassistant.helpers import selector as sel
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import probatio as vol

from .const import (
    CONF_ADAPTIVE_POLLING,
    CONF_AUTH_METHOD,
    CONF_LOW_CREDIT_DAYS,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_PROVIDER,
    CONF_UPDATE_INTERVAL,
    DEFAULT_LOW_CREDIT_DAYS,
    DEFAULT_LOW_CREDIT_THRESHOLD,
    DEFAULT_UPDATE_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_LOW_CREDIT_DAYS,
    MAX_UPDATE_INTERVAL,
    MIN_UPDATE_INTERVAL,
    REJECTION_INVALID_AUTH,
)
from .coordinator import error_key, text_placeholders, wait_placeholders
from .helpers import (
    account_name,
    async_get_spec,
    create_client,
    entry_title,
    host_option,
    same_account,
    secret_keys,
    valid_base_url,
    valid_days,
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
# A lone surrogate cannot be written as UTF-8 (it would make Home Assistant's
# storage unsavable); a control character (NUL, a line break) has no place in
# a login, a password, an API key or an address.
_UNFIT = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# About what 10 EUR buy (late 2026) in currencies with much smaller units,
# rounded to a figure a user would type; others: 10 of the unit (EUR, USD,
# GBP, CHF and the like). The user sets it anyway.
_THRESHOLD_BY_CURRENCY: dict[str, int] = {
    code: int(amount)
    for code, _, amount in (
        pair.partition(":")
        for pair in """
    AED:40 AMD:4000 ARS:10000 AZN:20 BDT:1200 BGN:20 BRL:60 BYN:30 CLP:10000 CNY:80
    COP:45000 CZK:250 DKK:75 EGP:500 GEL:30 HKD:80 HUF:4000 IDR:170000 ILS:40
    INR:1000 ISK:1500 JPY:1500 KES:1500 KGS:1000 KRW:15000 KZT:5000 MDL:200 MXN:200
    NGN:15000 NOK:100 PHP:600 PKR:3000 PLN:40 RON:50 RSD:1200 RUB:1000 SAR:40
    SEK:100 THB:400 TJS:100 TRY:400 TWD:350 UAH:500 UZS:100000 VND:250000 ZAR:200
    """.split()  # noqa: SIM905 - a block of pairs reads better than 46 lines
    )
}


def chosen_host(spec: ProviderSpec, user_input: Mapping[str, Any], default: str) -> str:
    """The server: a custom address when typed, else the picked site."""
    custom = str(user_input.get(SECTION_ADVANCED, {}).get(CONF_CUSTOM_HOST) or "")
    sites = {host_option(host): host for host in spec.hosts}
    return custom.strip() or sites.get(str(user_input.get(CONF_HOST)), default)


def stored_data(
    spec: ProviderSpec, method: AuthMethod, host: str, user_input: Mapping[str, Any]
) -> dict[str, Any]:
    """The entry data for what the user typed, each value stored as declared.

    (SMSC: the MD5 of the password, which it accepts in its place.) A secret
    left empty is left out: reconfigure keeps the stored one.
    """
    data = {CONF_PROVIDER: spec.key, CONF_HOST: normalize_host(host)}
    data[CONF_AUTH_METHOD] = method.key
    for field in method.fields:
        value = str(user_input.get(field.form_key) or "")
        if field.secret and not value:
            continue
        value = value if field.secret else value.strip()
        data[field.key] = field.transform(value) if field.transform else value
    return data


def _unfit(method: AuthMethod, user_input: Mapping[str, Any]) -> dict[str, str]:
    """Form errors for typed text that can be neither stored nor sent."""
    return {
        field.form_key: "invalid_characters"
        for field in method.fields
        if isinstance(value := user_input.get(field.form_key), str)
        and _UNFIT.search(value)
    }


def credentials_schema(
    spec: ProviderSpec,
    method: AuthMethod,
    *,
    reauth: bool = False,
    optional: bool = False,
    open_advanced: bool = False,
) -> vol.Schema:
    """The form of one login method, built from the provider's declaration.

    The provider's sites are a list (a translated label per site, else the
    declared address and country); another server goes in the collapsed
    "Advanced" section. Secrets never appear in a validation error;
    ``optional``: left empty, they keep the stored ones. Reauth asks for
    the secrets alone.
    """
    schema: dict[vol.Marker, Any] = {}
    if not reauth:
        sites = [
            sel.SelectOptionDict(
                value=host_option(site.url),
                label=" · ".join(
                    filter(None, (urlsplit(site.url).hostname, site.country))
                ),
            )
            for site in spec.sites
        ]
        dropdown = sel.SelectSelectorMode.DROPDOWN
        schema[vol.Required(CONF_HOST, default=sites[0]["value"])] = sel.SelectSelector(
            {"options": sites, "mode": dropdown, "translation_key": "host"}
        )
    for field in method.fields:
        if field.secret:
            marker = vol.Optional if optional else vol.Required
            schema[marker(vol.Secret(field.form_key))] = sel.TextSelector(
                {"type": sel.TextSelectorType.PASSWORD, "autocomplete": "off"}
            )
        elif not reauth:
            schema[vol.Required(field.form_key)] = sel.TextSelector(
                {"autocomplete": "username"}
            )
    if not reauth:
        url = sel.TextSelector({"type": sel.TextSelectorType.URL})
        schema[vol.Required(SECTION_ADVANCED)] = section(
            vol.Schema({vol.Optional(CONF_CUSTOM_HOST): url}),
            {"collapsed": not open_advanced},
        )
    return vol.Schema(schema)


def _number(
    unit: str | None, step: float | Literal["any"] = "any"
) -> sel.NumberSelector:
    """A number typed in a box (checked by ``valid_interval``, ``valid_threshold``).

    No min or max: their generic "Value 0.0 is too small" would answer
    before those checks.
    """
    config = sel.NumberSelectorConfig(step=step, mode=sel.NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return sel.NumberSelector(config)


class SmsCreditConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an SMS-gateway account: provider, login method, credentials, threshold."""

    VERSION = 1
    MINOR_VERSION = 2
    _spec: ProviderSpec
    _method: AuthMethod
    _data: dict[str, Any]
    _balance: Balance

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SmsCreditOptionsFlow:  # noqa: ARG004
        """Return the options flow."""
        return SmsCreditOptionsFlow()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the provider from a searchable list (of every provider's name).

        Each provider module is imported here, not at start. The list takes
        typed text too (that is what makes it searchable): a provider's name
        typed in full is that provider, anything else a form error. Its
        values are the names (the field shows the value it holds), and it
        starts empty: no provider is picked for the user.
        """
        specs = {key: await async_get_spec(self.hass, key) for key in REGISTRY}
        errors: dict[str, str] = {}
        if user_input is not None:
            typed = str(user_input.get(CONF_PROVIDER, "")).strip()
            named = {
                name.casefold(): spec
                for spec in specs.values()
                for name in (spec.key, spec.name, spec.short_name)
                if name
            }
            if (spec := named.get(typed.casefold())) is not None:
                self._spec = spec
                return await self.async_step_auth_method()
            errors[CONF_PROVIDER] = "unknown_provider"
        options = [
            sel.SelectOptionDict(value=spec.name, label=spec.name)
            for spec in sorted(specs.values(), key=lambda spec: spec.name.casefold())
        ]
        config = sel.SelectSelectorConfig(
            options=options,
            mode=sel.SelectSelectorMode.DROPDOWN,
            custom_value=True,
            sort=True,
        )
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema(
                {vol.Optional(CONF_PROVIDER): sel.SelectSelector(config)}
            ),
            errors=errors,
        )

    async def async_step_auth_method(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick how to log in, where the provider offers more than one way."""
        methods = [method.key for method in self._spec.auth_methods]
        if user_input is None and len(methods) > 1:
            return self.async_show_form(
                step_id="auth_method",
                data_schema=vol.Schema(
                    {
                        vol.Required(CONF_AUTH_METHOD): sel.SelectSelector(
                            sel.SelectSelectorConfig(
                                options=methods,
                                mode=sel.SelectSelectorMode.LIST,
                                translation_key=CONF_AUTH_METHOD,
                            )
                        )
                    }
                ),
                description_placeholders={"provider": self._spec.name},
            )
        self._method = self._spec.auth_method(
            (user_input or {}).get(CONF_AUTH_METHOD, methods[0])
        )
        return await self.async_step_credentials()

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter the account's server and credentials, tried before saving."""
        return await self._async_credentials("credentials", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server or credentials of the same account."""
        entry = self._get_reconfigure_entry()
        self._spec = await async_get_spec(self.hass, entry.data[CONF_PROVIDER])
        self._method = self._spec.auth_method(entry.data[CONF_AUTH_METHOD])
        return await self._async_credentials("reconfigure", user_input, entry)

    async def _async_credentials(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        entry: ConfigEntry | None = None,
    ) -> ConfigFlowResult:
        """The credentials form: check, try with one request, then save.

        On reconfigure, secrets left empty keep the stored ones, and the
        account stays the same: another login is another account (to add).
        """
        spec, method = self._spec, self._method
        current = entry.data[CONF_HOST] if entry else spec.hosts[0]
        host = chosen_host(spec, user_input or {}, current)
        # One set for the try and the form: the try adds until when a wait
        # it meets lasts, for its form error.
        placeholders = {
            **text_placeholders(spec, host if valid_base_url(host) else current),
            "example_url": spec.own_host or "https://sms.example.com",
            **wait_placeholders(60),
        }
        errors: dict[str, str] = {}
        if user_input is not None:
            if not valid_base_url(host):
                errors[SECTION_ADVANCED] = "invalid_host"
            # Unstorable text first: a declared transform would choke on it.
            elif not (errors := _unfit(method, user_input)):
                data = stored_data(spec, method, host, user_input)
                secrets = secret_keys(spec)
                if entry and not secrets & data.keys():
                    data.update({k: v for k, v in entry.data.items() if k in secrets})
                errors = {
                    field.form_key: "invalid_credentials"
                    for field in method.fields
                    if not field.secret and not str(data.get(field.key, "")).strip()
                } or self._other_account(data, entry)
                if not errors:
                    self._abort_if_same_account(data, but=entry)
                    errors = await self._async_try(data, placeholders, entry)
            if not errors and entry is None:
                self._data = data
                return await self.async_step_threshold()
            if not errors and entry is not None:
                return self.async_update_reload_and_abort(
                    entry,
                    data=data,
                    title=entry_title(data),
                    reason="reconfigure_successful",
                )
        suggested: dict[str, Any] = dict(user_input or {})
        if entry and user_input is None:
            suggested = {
                f.form_key: entry.data.get(f.key) for f in method.fields if not f.secret
            }
            if current in spec.hosts:
                suggested[CONF_HOST] = host_option(current)
            else:
                suggested[SECTION_ADVANCED] = {CONF_CUSTOM_HOST: current}
        schema = credentials_schema(
            spec,
            method,
            optional=entry is not None,
            open_advanced=SECTION_ADVANCED in errors
            or current not in spec.hosts
            or bool(spec.own_host),
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_threshold(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the credit just fetched, and ask below which amount it is low."""
        balance, errors = self._balance, {}
        if user_input is not None:
            threshold = valid_threshold(user_input.get(CONF_LOW_CREDIT_THRESHOLD))
            if threshold is None:
                errors[CONF_LOW_CREDIT_THRESHOLD] = "invalid_threshold"
            else:
                self._abort_if_same_account(self._data)  # added meanwhile elsewhere
                return self.async_create_entry(
                    title=entry_title(self._data),
                    data=self._data,
                    options={
                        CONF_UPDATE_INTERVAL: DEFAULT_UPDATE_INTERVAL,
                        CONF_LOW_CREDIT_THRESHOLD: threshold,
                    },
                )
        # A threshold that makes sense in the account's currency (not 10
        # RUB), or the provider's credits.
        unit = balance.currency or self._spec.unit or ""
        default = (
            self._spec.default_threshold
            if self._spec.unit
            else _THRESHOLD_BY_CURRENCY.get(unit, DEFAULT_LOW_CREDIT_THRESHOLD)
        )
        schema = {
            vol.Required(CONF_LOW_CREDIT_THRESHOLD, default=float(default)): _number(
                unit
            )
        }
        # As the credit sensor shows it: money to its minor unit.
        amount = (
            f"{balance.amount:.{minor_unit(unit)}f}"
            if balance.currency
            else f"{balance.amount.normalize():f}"
        )
        return self.async_show_form(
            step_id="threshold",
            data_schema=vol.Schema(schema),
            errors=errors,
            description_placeholders={
                "title": entry_title(self._data),
                "credit": f"{amount} {unit}",
                "currency": unit,
            },
        )

    def _other_account(
        self, data: Mapping[str, Any], entry: ConfigEntry | None
    ) -> dict[str, str]:
        """On reconfigure, another login is another account: to add, not to change."""
        if entry is None or self._method.names_only:
            return {}
        if account_name(data).casefold() == account_name(entry.data).casefold():
            return {}
        return {self._method.account.form_key: "wrong_account"}

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
        store = await async_get_store(self.hass)
        host, login = data[CONF_HOST], account_name(data)
        limiter = store.limiter(self._spec, host, login)
        try:
            client = create_client(async_get_clientsession(self.hass), data, limiter)
        except ValueError:  # a login the provider's protocol cannot carry
            return {self._method.account.form_key: "invalid_credentials"}
        try:
            self._balance = await client.async_get_balance()
        except ThrottledError as err:
            # Nothing was sent: a wait the provider imposed, or its limit.
            placeholders.update(wait_placeholders(err.retry_after or 0))
            return {"base": err.reason.value}
        except ProviderError as err:
            LOGGER.debug("%s: trying the credentials failed: %s", self._spec.name, err)
            store.async_save_sites()
            placeholders.update(wait_placeholders(limiter.wait()[0]))
            # On the field the answer blames, where the form shows it.
            blamed = getattr(err, "field", None)
            where = next(
                (f.form_key for f in self._method.fields if f.key == blamed), "base"
            )
            return {where: error_key(err, self._spec)}
        except Exception:  # noqa: BLE001 - the form must never crash
            LOGGER.exception("Unexpected error trying the credentials")
            return {"base": "unknown"}
        if entry is not None:
            # New credentials of this entry work: they are no longer rejected.
            record = await store.async_entry(entry.entry_id, self._spec, host, login)
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
        spec, method, entry = self._spec, self._method, self._get_reauth_entry()
        host = entry.data[CONF_HOST]
        placeholders = {**text_placeholders(spec, host), "title": entry.title}
        errors: dict[str, str] = {}
        if user_input is None:
            # Said at once when the answer may also mean an IP address off
            # the account's allow-list (SMSC's error 2), or said the key
            # lacks a permission, also after a restart.
            store = await async_get_store(self.hass)
            record = await store.async_entry(
                entry.entry_id, spec, host, account_name(entry.data)
            )
            if record.rejected not in (None, REJECTION_INVALID_AUTH):
                errors["base"] = record.rejected
        elif not (errors := _unfit(method, user_input)):
            typed = stored_data(spec, method, host, user_input)
            secrets = {k: typed[k] for k in secret_keys(spec) & typed.keys()}
            data = {**entry.data, **secrets}
            if not (errors := await self._async_try(data, placeholders, entry)):
                return self.async_update_reload_and_abort(
                    entry, data=data, reason="reauth_successful"
                )
            # An error on a field the form does not show is said above it.
            shown = {field.form_key for field in method.fields if field.secret}
            errors = {(k if k in shown else "base"): v for k, v in errors.items()}
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=credentials_schema(spec, method, reauth=True),
            errors=errors,
            description_placeholders=placeholders,
        )


class SmsCreditOptionsFlow(OptionsFlow):
    """Update interval and low-credit threshold, applied live: no reload, no request."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the options: whole minutes and a finite amount only.

        The selectors' own checks let ``"nan"`` and ``"inf"`` through (and
        the API skips the frontend's): each value is checked here, once.
        """
        errors: dict[str, str] = {}
        coordinator = getattr(self.config_entry, "runtime_data", None)
        shortest = coordinator.shortest if coordinator else MIN_UPDATE_INTERVAL
        if user_input is not None:
            interval = valid_interval(user_input.get(CONF_UPDATE_INTERVAL), shortest)
            threshold = valid_threshold(user_input.get(CONF_LOW_CREDIT_THRESHOLD))
            days = valid_days(user_input.get(CONF_LOW_CREDIT_DAYS))
            if interval is None:
                errors[CONF_UPDATE_INTERVAL] = "invalid_interval"
            if threshold is None:
                errors[CONF_LOW_CREDIT_THRESHOLD] = "invalid_threshold"
            if days is None:
                errors[CONF_LOW_CREDIT_DAYS] = "invalid_days"
            if not errors:
                return self.async_create_entry(
                    data={
                        CONF_UPDATE_INTERVAL: interval,
                        CONF_ADAPTIVE_POLLING: user_input.get(CONF_ADAPTIVE_POLLING)
                        is not False,
                        CONF_LOW_CREDIT_THRESHOLD: threshold,
                        CONF_LOW_CREDIT_DAYS: days,
                    }
                )
        currency = coordinator.unit if coordinator else None
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_UPDATE_INTERVAL, default=DEFAULT_UPDATE_INTERVAL
                ): _number("min", step=1),
                vol.Required(
                    CONF_ADAPTIVE_POLLING, default=True
                ): sel.BooleanSelector(),
                vol.Required(
                    CONF_LOW_CREDIT_THRESHOLD, default=DEFAULT_LOW_CREDIT_THRESHOLD
                ): _number(currency),
                vol.Required(
                    CONF_LOW_CREDIT_DAYS, default=DEFAULT_LOW_CREDIT_DAYS
                ): _number("d", step=1),
            }
        )
        return self.async_show_form(
            step_id="init",
            # What is stored, never a refused value ("nan" cannot go in JSON).
            data_schema=self.add_suggested_values_to_schema(
                schema, self.config_entry.options
            ),
            errors=errors,
            description_placeholders={
                "currency": currency or "-",
                "min_interval": str(shortest),
                "max_interval": str(MAX_UPDATE_INTERVAL),
                "max_days": str(MAX_LOW_CREDIT_DAYS),
            },
        )
