"""How rings changed between two detection runs: new, persisting, grown,
shrunk, merged, split, dissolved.

Detection runs weekly on data that only grows, so the same ring shows up
again with more transactions and often more members.  An investigator
needs to know, per ring, what happened since last week.  This module
answers that from member overlap alone: it is a pure function of two lists
of rings (``RingSnapshot``), with no store and no file.

Method (the usual event taxonomy for evolving communities, as in Palla,
Barabási & Vicsek, "Quantifying social group evolution", Nature 446, 2007,
and Greene, Doyle & Cunningham, "Tracking the evolution of communities in
dynamic social networks", ASONAM 2010):

1. A previous ring *p* and a current ring *c* are **linked** when they are
   of compatible schemes (equal, or either is ``mixed``) and they share
   enough members: at least ``min_overlap`` of the smaller ring's members
   (the overlap coefficient ``|p ∩ c| / min(|p|, |c|)``) and at least
   ``min_shared`` members (or all of the smaller ring when it is smaller
   than that).  The overlap coefficient, not Jaccard, because a ring that
   triples in a week still contains all of last week's ring.
2. With links drawn, each current ring is:

   - ``new``: no linked previous ring;
   - ``merged``: two or more linked previous rings;
   - ``split``: one linked previous ring, which is also linked to another
     current ring (the previous ring broke into pieces);
   - otherwise one-to-one with its previous ring, and then ``grown`` (more
     members), ``shrunk`` (fewer) or ``persisting`` (as many).

   Each previous ring with no linked current ring is ``dissolved``.

Ring ids are not used to decide anything (``graph.ring_book`` assigns them
by the same kind of overlap), but every change records which previous
rings it came from, so the history keeps a lineage even when an id changes.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Sequence

from ringscope.analytics.ring_identity import compatible
from ringscope.analytics.settings import EvolutionSettings

NEW = "new"
PERSISTING = "persisting"
GROWN = "grown"
SHRUNK = "shrunk"
MERGED = "merged"
SPLIT = "split"
DISSOLVED = "dissolved"

#: Every status, in the order a report lists them.
STATUSES = (NEW, GROWN, MERGED, SPLIT, SHRUNK, PERSISTING, DISSOLVED)


@dataclass(frozen=True)
class RingSnapshot:
    """A ring as one run saw it: id, scheme, and member keys ``type:id``."""

    ring_id: str
    scheme: str
    members: frozenset[str]
    fund_loss: Decimal = Decimal("0.00")  # exact, as analytics.fund_loss computed it

    @classmethod
    def of(cls, ring_id: str, scheme: str, members: Iterable[str], fund_loss: Decimal | int | str = "0.00") -> "RingSnapshot":
        return cls(ring_id, scheme, frozenset(members), Decimal(str(fund_loss)).quantize(Decimal("0.01")))


@dataclass(frozen=True)
class Link:
    previous_id: str
    current_id: str
    shared: int
    overlap: float  # |p ∩ c| / min(|p|, |c|)


@dataclass(frozen=True)
class RingChange:
    """What happened to one ring: a current ring (any status but dissolved) or a
    previous ring that is gone (``dissolved``, then ``ring_id`` is the old id)."""

    ring_id: str
    status: str
    scheme: str
    parents: tuple[str, ...] = ()  # previous ring ids this ring came from
    members_before: int = 0
    members_after: int = 0
    members_added: int = 0
    members_removed: int = 0
    fund_loss_before: Decimal = Decimal("0.00")
    fund_loss_after: Decimal = Decimal("0.00")

    @property
    def kept_id(self) -> bool:
        """True when the ring kept one of its predecessors' ids."""
        return self.ring_id in self.parents


@dataclass
class Evolution:
    changes: list[RingChange] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    def by_status(self, status: str) -> list[RingChange]:
        return [c for c in self.changes if c.status == status]

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for c in self.changes:
            out[c.status] += 1
        return out

    def status_of(self, ring_id: str) -> str | None:
        """Status of a current ring (dissolved rings are looked up by their old id)."""
        for c in self.changes:
            if c.ring_id == ring_id and c.status != DISSOLVED:
                return c.status
        for c in self.changes:
            if c.ring_id == ring_id:
                return c.status
        return None


def link_rings(
    previous: Sequence[RingSnapshot], current: Sequence[RingSnapshot], settings: EvolutionSettings | None = None
) -> list[Link]:
    """Pairs of (previous, current) rings that share enough members.

    Set-based through an inverted index member → previous rings, so the cost is
    the number of shared memberships, not |previous| × |current|.
    """
    s = settings or EvolutionSettings()
    index: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(previous):
        for key in p.members:
            index[key].append(i)
    links: list[Link] = []
    for c in current:
        shared: dict[int, int] = defaultdict(int)
        for key in c.members:
            for i in index.get(key, ()):
                shared[i] += 1
        for i, n in shared.items():
            p = previous[i]
            if not compatible(p.scheme, c.scheme):
                continue
            smaller = min(len(p.members), len(c.members))
            if smaller == 0:
                continue
            overlap = n / smaller
            if overlap >= s.min_overlap and n >= min(s.min_shared, smaller):
                links.append(Link(p.ring_id, c.ring_id, n, round(overlap, 6)))
    links.sort(key=lambda link: (link.current_id, link.previous_id))
    return links


def _status(c: RingSnapshot, ups: list[Link], children: dict[str, list[Link]], before: frozenset[str]) -> str:
    if not ups:
        return NEW
    if len(ups) > 1:
        return MERGED
    if len(children[ups[0].previous_id]) > 1:
        return SPLIT
    if len(c.members) > len(before):
        return GROWN
    if len(c.members) < len(before):
        return SHRUNK
    return PERSISTING


def _change(c: RingSnapshot, ups: list[Link], children: dict[str, list[Link]],
            prev_by_id: dict[str, RingSnapshot]) -> RingChange:
    """What happened to one current ring, judged from the previous rings linked to it (``ups``)."""
    before: frozenset[str] = frozenset().union(*(prev_by_id[link.previous_id].members for link in ups)) if ups else frozenset()
    return RingChange(
        ring_id=c.ring_id, status=_status(c, ups, children, before), scheme=c.scheme,
        parents=tuple(sorted(link.previous_id for link in ups)),
        members_before=len(before), members_after=len(c.members),
        members_added=len(c.members - before), members_removed=len(before - c.members) if ups else 0,
        fund_loss_before=sum((prev_by_id[link.previous_id].fund_loss for link in ups), Decimal("0.00")),
        fund_loss_after=c.fund_loss,
    )


def classify(
    previous: Sequence[RingSnapshot], current: Sequence[RingSnapshot], settings: EvolutionSettings | None = None
) -> Evolution:
    """Classify every current ring and every vanished previous ring.

    Parameters
    ----------
    previous, current:
        The rings of the earlier and the later run.  Ring ids must be unique
        within each list (they may repeat across the two: that is a kept id).

    Returns
    -------
    Evolution
        ``changes`` sorted by status order then ring id (deterministic), and the
        ``links`` that justified them.

    Examples
    --------
    >>> a = RingSnapshot.of("R-1", "maternity", ["employer:E1", "patient:P1", "patient:P2"])
    >>> b = RingSnapshot.of("R-1", "maternity", ["employer:E1", "patient:P1", "patient:P2", "patient:P3"])
    >>> classify([a], [b]).changes[0].status
    'grown'
    """
    for name, rings in (("previous", previous), ("current", current)):
        ids = [r.ring_id for r in rings]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{name} run has duplicate ring ids")
    links = link_rings(previous, current, settings)
    parents: dict[str, list[Link]] = defaultdict(list)
    children: dict[str, list[Link]] = defaultdict(list)
    for link in links:
        parents[link.current_id].append(link)
        children[link.previous_id].append(link)
    prev_by_id = {p.ring_id: p for p in previous}
    changes = [_change(c, parents.get(c.ring_id, []), children, prev_by_id) for c in current]
    for p in previous:
        if not children.get(p.ring_id):
            changes.append(RingChange(
                ring_id=p.ring_id, status=DISSOLVED, scheme=p.scheme, parents=(p.ring_id,),
                members_before=len(p.members), members_after=0, members_added=0, members_removed=len(p.members),
                fund_loss_before=p.fund_loss, fund_loss_after=Decimal("0.00"),
            ))
    order = {s: i for i, s in enumerate(STATUSES)}
    changes.sort(key=lambda ch: (order[ch.status], ch.ring_id))
    return Evolution(changes=changes, links=links)
