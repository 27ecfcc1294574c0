"""Repair flows: the IP allow-list issue can be checked again at once."""

from __future__ import annotations

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
import probatio as vol

from .const import CONF_PROVIDER
from .coordinator import SmsCreditConfigEntry, text_placeholders
from .helpers import async_get_spec
from .providers import WaitReason

# Why a check did not fix the issue, by the translation key of its failure.
_CONFIRM_ERRORS = {
    "ip_not_allowed": "still_not_allowed",
    **{reason.value: "throttled" for reason in WaitReason},
}


def _loaded(entry: SmsCreditConfigEntry) -> bool:
    return entry.state is ConfigEntryState.LOADED


class IpNotAllowedRepairFlow(RepairsFlow):
    """Explain how to allow Home Assistant's IP address, then check again."""

    def __init__(self, entry: SmsCreditConfigEntry) -> None:
        """Initialise the flow for one config entry."""
        self._entry = entry

    async def async_step_init(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002 - only the issue ID
    ) -> RepairsFlowResult:
        """Start at the confirm step."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Check again when the user says the IP address is now allowed."""
        entry = self._entry
        spec = await async_get_spec(self.hass, entry.data[CONF_PROVIDER])
        errors: dict[str, str] = {}
        if user_input is not None:
            if _loaded(entry):
                coordinator = entry.runtime_data
                await coordinator.async_refresh()
                # A refresh the limiter held back keeps a failure a failure:
                # only a real good answer fixes the issue.
                succeeded = coordinator.last_update_success
                cause = getattr(coordinator.last_exception, "translation_key", None)
            else:
                # Setup itself failed on the refusal: setting up again checks.
                await self.hass.config_entries.async_reload(entry.entry_id)
                succeeded = _loaded(entry)
                cause = entry.error_reason_translation_key
            if succeeded:
                return self.async_create_entry(data={})
            errors["base"] = _CONFIRM_ERRORS.get(str(cause), "check_failed")
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders={
                "title": entry.title,
                **text_placeholders(spec, entry.data[CONF_HOST]),
            },
        )


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,  # noqa: ARG001
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Create the flow that fixes an issue of this integration."""
    assert data is not None  # noqa: S101 - every fixable issue carries its entry
    entry = hass.config_entries.async_get_known_entry(str(data["entry_id"]))
    return IpNotAllowedRepairFlow(entry)
