"""Run a capability: the use case, its sections, the one fitting path, and the structured result cut to the text."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
from pydantic import BaseModel

from runwise.domain.hints import Wording
from runwise.domain.shared_repr import fields_repr
from runwise.entrypoints.capabilities.declaration import Capability, Params
from runwise.ports.renderer import Renderer
from runwise.services.fitting import Fitted, fit_answer, fit_refining

if TYPE_CHECKING:
    from runwise.bootstrap import Runwise


@attrs.frozen
class Answer:
    """A capability's answer: the domain result, its fitted text and the structured result (the same facts).

    The structured result is built on first use (`structured`): a text answer at the terminal never needs it, and
    its model's pydantic schema is built on its first validation in a process."""

    __repr__ = fields_repr

    result: Any
    text: str
    tokens: int
    _structure: Callable[[], BaseModel] = attrs.field(alias="structure")
    params: Params
    warnings: tuple[str, ...] = ()  # what the answer is beside (e.g. data found that no source reads)
    _built: list[BaseModel] = attrs.field(factory=list, init=False, eq=False, repr=False)

    @property
    def structured(self) -> BaseModel:
        if not self._built:
            self._built.append(self._structure())
        return self._built[0]

    def data(self) -> dict[str, Any]:
        """The structured result as JSON-ready data (what MCP and `--format json` carry)."""
        return self.structured.model_dump(mode="json")


def execute(
    capability: Capability,
    app: Runwise,
    params: Params,
    *,
    renderer: Renderer,
    wording: Wording,
    budget: int | None,
) -> Answer:
    """The answer to one call, fitted to `budget` tokens (None: the whole answer)."""
    worded = renderer.with_wording(wording)

    def draw(p: Params) -> tuple[Any, list[Any]]:
        result = capability.use(app, p)
        return result, capability.sections(worded, result, params)  # sections see what was asked

    if capability.refine is None:
        result, sections = draw(params)
        fitted: Fitted = fit_answer(sections, app.tokens, budget)
    else:
        refine = capability.refine
        drawn: dict[int, Any] = {}

        def sections_of(p: Params) -> list[Any]:
            drawn[id(p)] = draw(p)
            return list(drawn[id(p)][1])

        used, fitted = fit_refining(sections_of, params, refine, app.tokens, budget)
        result = drawn[id(used)][0]
    warnings = tuple(capability.warnings(app, result)) if capability.warnings is not None else ()
    structure = capability.structured
    return Answer(result, fitted.text, fitted.tokens, lambda: structure(result, fitted), params, warnings)
