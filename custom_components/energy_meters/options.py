"""Options shared by the kinds: the update policy (how often values are written)."""

from __future__ import annotations

from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)
import probatio as vol  # HA 2026 ships probatio; `import voluptuous` resolves to its shim

from .const import (
    CONF_COUNTER_INTERVAL,
    CONF_POWER_INTERVAL,
    DEFAULT_COUNTER_INTERVAL,
    DEFAULT_POWER_INTERVAL,
)


def seconds_selector(minimum: int, maximum: int) -> NumberSelector:
    """Select a whole number of seconds (the field shows the unit, not the label)."""
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement="s",
        )
    )


UPDATE_POLICY_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_COUNTER_INTERVAL, default=DEFAULT_COUNTER_INTERVAL): seconds_selector(
            1, 3600
        ),
        vol.Required(CONF_POWER_INTERVAL, default=DEFAULT_POWER_INTERVAL): seconds_selector(1, 600),
    }
)
