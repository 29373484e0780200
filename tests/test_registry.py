"""The component registry: one name once, unknown names a ConfigError with the choices and a did-you-mean."""

from __future__ import annotations

import pytest

from journeysim.errors import ConfigError
from journeysim.registry import Registry


def test_registry_finds_lists_and_refuses():
    reg: Registry[int] = Registry("response curve")
    reg.add("hill", 1)

    @reg.register("linear")
    def _two() -> int:
        return 2

    assert reg.get("hill") == 1 and reg.get("linear")() == 2
    assert reg.names() == ("hill", "linear") and "hill" in reg and len(reg) == 2
    with pytest.raises(ValueError, match="already registered"):
        reg.add("hill", 3)
    with pytest.raises(ConfigError) as err:
        reg.get("hil", setting="channels.search.response.kind")
    assert err.value.setting == "channels.search.response.kind"
    assert "unknown response curve 'hil'" in err.value.problem
    assert "hill, linear" in err.value.fix and "did you mean 'hill'" in err.value.fix
