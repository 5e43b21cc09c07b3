"""The base of every scenario model: frozen, unknown keys forbidden; mappings frozen too."""

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic_core import PydanticCustomError


def fail(message: str, subpath: tuple = ()) -> PydanticCustomError:
    """A validation error whose message is shown as is; ``subpath`` extends the key path."""
    return PydanticCustomError("fleetsim", message, {"subpath": list(subpath)})


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FrozenDict(dict):
    """A dict that cannot change (a Scenario's ``sites``, ``hardware``, ``supply``); it pickles
    and copies like a dict."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a Scenario is immutable; use scenario.override({...}) for a changed copy")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __reduce__(self):
        return type(self), (dict(self),)


def Frozen(value_type: Any) -> Any:  # noqa: N802
    """``dict[str, value_type]`` validated into a :class:`FrozenDict`."""
    return Annotated[dict[str, value_type], AfterValidator(FrozenDict)]
