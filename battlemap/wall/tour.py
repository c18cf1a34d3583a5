"""The auto-tour as a list of stops (pure: no store, no Dash).

The attention tour shows the screen's region, then drills to each region that most needs
attention (through its parents) and back out to the top before the next one; optional year
play first plays the years on the top stop. An explicit tour is shown as listed. The page
keeps only a step number; ``stop_at(stops, step)`` is the stop on screen, so the browser
holds no growing list and a new tour (after a data refresh) takes over at the next step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Stop", "attention_tour", "explicit_tour", "stop_at"]


@dataclass(frozen=True)
class Stop:
    """One tour stop: the region shown, its year and why it is on the tour."""

    region: str
    year: int
    reason: str = ""  # "home", "path", "incidence", "warnings", "exit_checks", "listed"


def _dedupe(stops: list[Stop]) -> list[Stop]:
    """Consecutive repeats of a region-year removed (drilling out lands on the top once)."""
    out: list[Stop] = []
    for stop in stops:
        if not out or (out[-1].region, out[-1].year) != (stop.region, stop.year):
            out.append(stop)
    if len(out) > 1 and out[0].region == out[-1].region:
        out.pop()  # the cycle starts again at the top (with year play: at the first year)
    return out


def attention_tour(
    home: str,
    year: int,
    attention: Sequence[tuple[str, str]],
    path: Callable[[str], list[str]],
    *,
    years: Sequence[int] = (),
) -> list[Stop]:
    """``home``, then for each ``(code, reason)`` the regions from below ``home`` down to it
    (``path(code)``: codes from the one below home to ``code``) and back to ``home``.

    ``years``: the years the top stop plays first (year play), ending at ``year``.
    """
    stops = [Stop(home, y, "home") for y in years if y != year]
    stops.append(Stop(home, year, "home"))
    for code, reason in attention:
        chain = path(code)
        stops += [Stop(c, year, "path") for c in chain[:-1]]
        stops.append(Stop(code, year, reason))
        stops.append(Stop(home, year, "home"))
    return _dedupe(stops)


def explicit_tour(codes: Sequence[str], year: int, *, years: Sequence[int] = ()) -> list[Stop]:
    """The listed regions in order (the first plays ``years`` first under year play)."""
    if not codes:
        return []
    stops = [Stop(codes[0], y, "listed") for y in years if y != year]
    return _dedupe(stops + [Stop(c, year, "listed") for c in codes])


def stop_at(stops: Sequence[Stop], step: int) -> tuple[int, Stop]:
    """The stop shown at ``step`` (the tour cycles) and its index."""
    if not stops:
        raise ValueError("an empty tour has no stops")
    index = int(step) % len(stops)
    return index, stops[index]
